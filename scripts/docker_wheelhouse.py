#!/usr/bin/env python3
"""Fill the wheelhouse that deploy/Dockerfile installs from, so that an image build never reaches a network.

    <out>/deps/requirements.txt   the pinned runtime dependencies of pyproject.toml
    <out>/deps/*.whl               their wheels (binary wheels only: no host-compiled code ends up in an image)
    <out>/project/*.whl            the gridledger wheel, built from a clean copy of the working tree

Run it with the Python the image will have (3.11; the project's .venv): wheel tags must match the image's Python.
The dependency wheels are fetched again only when the pins change; the project wheel is rebuilt every time but is
reproducible (SOURCE_DATE_EPOCH), so an unchanged tree gives identical bytes and Docker's layer cache holds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IMAGE_PYTHON = (3, 11)
# Fixed wheel timestamps (1980-01-01, the earliest a zip file can hold) make the project wheel reproducible.
SOURCE_DATE_EPOCH = "315532800"
PROJECT_FILES = ("pyproject.toml", "README.md")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "*.egg-info")


def pip(*args: str, env: dict[str, str] | None = None) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"wheelhouse: `{' '.join(command)}` failed")


def requirements(pyproject: Path) -> str:
    dependencies = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return "".join(f"{line}\n" for line in dependencies)


def dependency_wheels(out: Path, wanted: str) -> bool:
    """Make <out>/deps hold exactly the wheels for `wanted`; False when it already did."""
    folder = out / "deps"
    done = folder / ".complete"
    if done.exists() and (folder / "requirements.txt").read_text() == wanted:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "requirements.txt").write_text(wanted)
    pip("wheel", "--only-binary=:all:", "--wheel-dir", str(folder), "--requirement", str(folder / "requirements.txt"))
    done.touch()
    return True


def project_wheel(out: Path) -> bool:
    """Build the gridledger wheel into <out>/project; False when the result is byte-identical to what was there."""
    folder = out / "project"
    with tempfile.TemporaryDirectory(prefix="gridledger-wheel-") as scratch:
        source = Path(scratch) / "src"
        source.mkdir()
        for name in PROJECT_FILES:
            shutil.copy2(REPO / name, source / name)
        shutil.copytree(REPO / "gridledger", source / "gridledger", ignore=IGNORED)
        built = Path(scratch) / "wheel"
        env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
        # The venv's setuptools builds offline; without it pip fetches a build backend.
        isolation = ["--no-build-isolation"] if _has_setuptools() else []
        pip("wheel", "--no-deps", *isolation, "--wheel-dir", str(built), str(source), env=env)
        (wheel,) = built.glob("gridledger-*.whl")
        current = list(folder.glob("*.whl"))
        if len(current) == 1 and current[0].name == wheel.name and current[0].read_bytes() == wheel.read_bytes():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy2(wheel, folder / wheel.name)
    return True


def _has_setuptools() -> bool:
    try:
        import setuptools  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fill the wheelhouse for deploy/Dockerfile.")
    parser.add_argument("--out", type=Path, default=REPO / "deploy" / "wheelhouse")
    args = parser.parse_args(argv)
    if sys.version_info[:2] != IMAGE_PYTHON:
        print(f"wheelhouse: run this with Python {'.'.join(map(str, IMAGE_PYTHON))} (the image's Python), not "
              f"{sys.version.split()[0]}; e.g. .venv/bin/python {Path(__file__).name}", file=sys.stderr)
        return 2
    fetched = dependency_wheels(args.out, requirements(REPO / "pyproject.toml"))
    rebuilt = project_wheel(args.out)
    print(f"wheelhouse {args.out}: dependencies {'fetched' if fetched else 'up to date'}, "
          f"project wheel {'rebuilt' if rebuilt else 'unchanged'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
