"""Generate the Python code for proto/ with grpcio-tools, or check that the committed code matches the sources.

The generated modules are committed (gridledger/v1/) so a fresh clone imports without a build step; `--check`
regenerates into a temporary folder and fails if any file differs, so sources and code cannot drift apart.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"
GENERATED = Path("gridledger") / "v1"


def generate(out: Path) -> list[Path]:
    """Run protoc on every .proto file; return the generated files relative to `out`."""
    sources = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        ["protoc", f"-I{PROTO_ROOT}", f"-I{include}", f"--python_out={out}", f"--pyi_out={out}",
         f"--grpc_python_out={out}", *sources]
    )
    if status != 0:
        sys.exit(f"protoc failed with status {status}")
    return sorted(p.relative_to(out) for p in (out / GENERATED).glob("*_pb2*.py*"))


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        committed = sorted(p.relative_to(ROOT) for p in (ROOT / GENERATED).glob("*_pb2*.py*"))
        problems = [f"missing or stale: {p}" for p in fresh if not (ROOT / p).exists()
                    or not filecmp.cmp(Path(tmp) / p, ROOT / p, shallow=False)]
        problems += [f"no source for: {p}" for p in committed if p not in fresh]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print("generated code disagrees with proto/: run `make proto` and commit the result", file=sys.stderr)
        return 1
    print(f"proto: {len(fresh)} generated files match proto/")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, help="write generated code below this folder")
    parser.add_argument("--check", action="store_true", help="fail if committed code differs from proto/")
    args = parser.parse_args()
    if args.check:
        return check()
    generate(args.out or ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
