"""The import direction of docs/design.md ("Map"), checked on the source: every `import` and `from ... import` in
gridledger/, at module level or inside a function, parsed with ast. A new arrow that points up fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "gridledger"

# Each top-level package and the packages it may import (itself always allowed). Lower layers first.
ALLOWED: dict[str, set[str]] = {
    "v1": set(),
    "common": {"v1"},
    "chaincode": {"common", "v1"},
    "peer": {"chaincode", "common", "v1"},
    "orderer": {"common", "v1"},
    "sdk": {"common", "v1"},
    "ops": {"sdk", "chaincode", "common", "v1"},
    "services": {"ops", "sdk", "common", "v1"},
    "lab": {"ops", "sdk", "chaincode", "common", "v1"},
    "cli": {"lab", "services", "ops", "sdk", "chaincode", "common", "v1"},
}
# Siblings inside one package that must not reach into each other.
SIBLINGS_APART = [("lab.bench", "lab.experiment")]


def _module_name(path: Path, root: Path = ROOT) -> list[str]:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return parts[:-1] if parts[-1] == "__init__" else parts


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, dotted module) for every gridledger import in one file, relative imports resolved."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            # `from gridledger import sdk` names packages in the imported names
            if base == "gridledger":
                found += [(node.lineno, f"gridledger.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("gridledger.")]


def sources() -> list[Path]:
    """Every hand-written module inside a package (the generated v1 code imports nothing of ours)."""
    return sorted(p for p in ROOT.rglob("*.py") if len(p.relative_to(ROOT).parts) > 1
                  and p.relative_to(ROOT).parts[0] != "v1")


def test_every_package_is_in_the_map():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(ALLOWED), "add the new package to ALLOWED here and to the map in docs/design.md"


def test_imports_point_down():
    wrong = []
    for path in sources():
        own = _module_name(path)[1]
        for line, name in imported_modules(path):
            target = name.split(".")[1]
            if target != own and target not in ALLOWED[own]:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line} ({own}) imports {name}")
    assert not wrong, "imports against the direction in docs/design.md:\n" + "\n".join(wrong)


@pytest.mark.parametrize("pair", SIBLINGS_APART, ids=lambda pair: " / ".join(pair))
def test_siblings_stay_apart(pair):
    wrong = []
    for path in sources():
        own = ".".join(_module_name(path)[1:])
        for first, second in (pair, pair[::-1]):
            if own == first or own.startswith(first + "."):
                wrong += [f"{path.relative_to(ROOT.parent)}:{line} imports {name}"
                          for line, name in imported_modules(path)
                          if name == f"gridledger.{second}" or name.startswith(f"gridledger.{second}.")]
    assert not wrong, "\n".join(wrong)


def test_the_checker_sees_function_level_and_relative_imports(tmp_path):
    """The rule must not pass because the parser missed an import (one inside a function, or a relative one)."""
    fake = tmp_path / "gridledger" / "peer" / "x.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from gridledger.orderer import node\nfrom ..sdk import errors\n")
    names = [name for _, name in imported_modules(fake, tmp_path / "gridledger")]
    assert sorted(names) == ["gridledger.orderer", "gridledger.sdk"]


def test_only_the_registry_imports_a_consensus_plugin():
    """Plugins are reached through orderer/consensus/registry.py and use only their ConsenterSupport."""
    plugins = ("gridledger.orderer.consensus.solo", "gridledger.orderer.consensus.raft")
    wrong = []
    for path in sources():
        own = ".".join(_module_name(path))
        if own == "gridledger.orderer.consensus.registry" or own.startswith(plugins):
            continue
        wrong += [f"{path.relative_to(ROOT.parent)}:{line} imports {name}" for line, name in imported_modules(path)
                  if name.startswith(plugins)]
    assert not wrong, "\n".join(wrong)
