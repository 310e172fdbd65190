"""Chaincode packages: a deterministic tar.gz of a chaincode folder, so one source always gives one package id.

Layout (as Fabric's, minus the nested archive): `metadata.json` ({"label", "type"}) and the chaincode's files under
`src/`. Entries are sorted, with fixed mtime, owner and modes, and the gzip header carries no name or time; only
regular files are packed (no __pycache__ or compiled files), and a symbolic link is refused rather than followed,
so what is hashed is exactly what will run. Identical bytes also need the same zlib, which every node of one
testbed image shares.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import tarfile
from pathlib import Path

METADATA = "metadata.json"
SOURCE_DIR = "src"
CHAINCODE_TYPE = "python"
LABEL_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}\Z")
_SKIPPED_DIRS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


def check_label(label: str) -> str:
    """Labels name packages in ids ("label:hash") and folders: letters, digits and _.+- only, at most 64."""
    if not isinstance(label, str) or not LABEL_PATTERN.match(label):
        raise ValueError(f"invalid chaincode label {label!r}: use 1-64 of A-Z a-z 0-9 _ . + -, starting with a "
                         "letter or digit")
    return label


def metadata_bytes(label: str) -> bytes:
    return json.dumps({"label": check_label(label), "type": CHAINCODE_TYPE}, sort_keys=True).encode()


def _source_files(src: Path) -> list[tuple[str, Path]]:
    """(archive-relative posix path, file) for every file to pack, sorted by path."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(src):
        base = Path(folder)
        for name in dirs:
            if (base / name).is_symlink():
                raise ValueError(f"{base / name} is a symbolic link; packages hold regular files only")
        dirs[:] = [name for name in dirs if name not in _SKIPPED_DIRS]
        for name in files:
            path = base / name
            if name.endswith(_SKIPPED_SUFFIXES):
                continue
            if path.is_symlink() or not path.is_file():
                raise ValueError(f"{path} is not a regular file; packages hold regular files only")
            found.append((path.relative_to(src).as_posix(), path))
    return sorted(found)


def _entry(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def package_chaincode(src_dir: str | Path, label: str) -> bytes:
    """The package (tar.gz bytes) of the chaincode folder `src_dir`, which must be a Python package."""
    src = Path(src_dir)
    if not (src / "__init__.py").is_file():
        raise ValueError(f"{src} is not a chaincode folder: it has no __init__.py")
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        meta = metadata_bytes(label)
        tar.addfile(_entry(METADATA, len(meta)), io.BytesIO(meta))
        for relative, path in _source_files(src):
            data = path.read_bytes()
            tar.addfile(_entry(f"{SOURCE_DIR}/{relative}", len(data)), io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz:
        gz.write(tar_buffer.getvalue())
    return out.getvalue()
