"""ChaincodeStore: installed chaincode packages on a peer's disk, one folder per package id.

A package comes from outside the peer (an admin's upload), so it is checked before anything is written where the
peer will run it: gzip and tar are read as a stream with hard limits on size and entry count (no gzip bombs), only
regular files and folders under `src/` plus `metadata.json` are accepted (no links, devices, absolute paths or
'..'), and files are written by this code, never by tarfile's own extraction. Extraction goes to a temporary
folder that is renamed into place, so a crash never leaves a half-installed package under a valid id.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
import tarfile
import tempfile
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from gridledger.chaincode.package import METADATA, SOURCE_DIR, check_label

MAX_PACKAGE_BYTES = 16 * 1024 * 1024
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_ENTRIES = 4096
MAX_METADATA_BYTES = 4096
MAX_PATH_DEPTH = 32
_PACKAGE_ID = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.+-]{0,63}):([0-9a-f]{64})\Z")
_TEMP_PREFIX = ".installing-"


class InvalidPackageError(ValueError):
    """The package bytes are not an acceptable chaincode package; nothing was installed."""


@dataclass(frozen=True, slots=True)
class InstalledPackage:
    package_id: str
    label: str


def package_id_for(label: str, package: bytes) -> str:
    """"label:sha256hex" of the package bytes: the id peers and the lifecycle compare."""
    return f"{label}:{hashlib.sha256(package).hexdigest()}"


class _Limited(io.RawIOBase):
    """A readable stream that fails once more than `limit` bytes were read from it (caps gzip decompression)."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self._inner = inner
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(min(len(buffer), self._left + 1))
        if len(data) > self._left:
            raise InvalidPackageError("package unpacks to more than the allowed size")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)


def _member_path(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if (not name or name.startswith("/") or "\\" in name or "\x00" in name or path.is_absolute()
            or any(part in ("", ".", "..") for part in name.rstrip("/").split("/"))):
        raise InvalidPackageError(f"unsafe path in package: {name!r}")
    if len(path.parts) > MAX_PATH_DEPTH:
        raise InvalidPackageError(f"path nested too deeply: {name!r}")
    if path.parts[0] != SOURCE_DIR and name != METADATA:
        raise InvalidPackageError(f"unexpected entry {name!r}: a package holds {METADATA} and {SOURCE_DIR}/ only")
    return path


class ChaincodeStore:
    """Installed packages under `root`/<package id>/ (metadata.json and src/); thread-safe."""

    def __init__(self, root: str | Path, *, max_package_bytes: int = MAX_PACKAGE_BYTES,
                 max_unpacked_bytes: int = MAX_UNPACKED_BYTES, max_entries: int = MAX_ENTRIES) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._max_package = max_package_bytes
        self._max_unpacked = max_unpacked_bytes
        self._max_entries = max_entries
        self._lock = threading.Lock()
        for leftover in self.root.glob(_TEMP_PREFIX + "*"):  # from an install interrupted by a crash
            shutil.rmtree(leftover, ignore_errors=True)

    def install(self, package: bytes) -> str:
        """Validate and unpack `package`; return its id. Installing the same bytes again is a no-op."""
        if len(package) > self._max_package:
            raise InvalidPackageError(f"package is {len(package)} bytes; the limit is {self._max_package}")
        staging = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=self.root))
        try:
            label = self._unpack(package, staging)
            package_id = package_id_for(label, package)
            target = self.root / package_id
            with self._lock:
                if target.is_dir():
                    return package_id
                staging.rename(target)
            return package_id
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _unpack(self, package: bytes, into: Path) -> str:
        """Extract into `into`; return the label from metadata.json."""
        limited = _Limited(gzip.GzipFile(fileobj=io.BytesIO(package)), self._max_unpacked + 1024 * 1024)
        seen: set[str] = set()
        unpacked = 0
        metadata: bytes | None = None
        try:
            with tarfile.open(fileobj=io.BufferedReader(limited), mode="r|") as tar:
                for member in tar:
                    if len(seen) >= self._max_entries:
                        raise InvalidPackageError(f"package has more than {self._max_entries} entries")
                    path = _member_path(member.name)
                    key = path.as_posix()
                    if key in seen:
                        raise InvalidPackageError(f"duplicate entry {key!r}")
                    seen.add(key)
                    if member.isdir():
                        if key == METADATA:
                            raise InvalidPackageError(f"{METADATA} must be a file")
                        self._make_dir(into, path)
                        continue
                    if member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE):
                        raise InvalidPackageError(f"{key!r} is not a regular file (links and devices are refused)")
                    unpacked += member.size
                    if unpacked > self._max_unpacked:
                        raise InvalidPackageError(f"package unpacks to more than {self._max_unpacked} bytes")
                    source = tar.extractfile(member)
                    data = source.read() if source is not None else b""
                    if len(data) != member.size:
                        raise InvalidPackageError(f"{key!r} is truncated")
                    if key == METADATA:
                        metadata = data
                    else:
                        self._write_file(into, path, data)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise InvalidPackageError(f"not a readable tar.gz package: {exc}") from None
        if metadata is None:
            raise InvalidPackageError(f"package has no {METADATA}")
        label = self._label(metadata)
        if not (into / SOURCE_DIR / "__init__.py").is_file():
            raise InvalidPackageError(f"package has no {SOURCE_DIR}/__init__.py (a chaincode is a Python package)")
        (into / METADATA).write_bytes(metadata)
        return label

    @staticmethod
    def _label(metadata: bytes) -> str:
        if len(metadata) > MAX_METADATA_BYTES:
            raise InvalidPackageError(f"{METADATA} is too large")
        try:
            fields = json.loads(metadata)
            return check_label(fields["label"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidPackageError(f"bad {METADATA}: {exc}") from None

    @staticmethod
    def _make_dir(into: Path, path: PurePosixPath) -> None:
        target = into.joinpath(*path.parts)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise InvalidPackageError(f"{path.as_posix()!r} clashes with a file") from None

    @staticmethod
    def _write_file(into: Path, path: PurePosixPath, data: bytes) -> None:
        target = into.joinpath(*path.parts)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                raise InvalidPackageError(f"{path.as_posix()!r} clashes with a folder")
            target.write_bytes(data)
        except (FileExistsError, NotADirectoryError):
            raise InvalidPackageError(f"{path.as_posix()!r} clashes with a file") from None

    # ---- queries ----

    def installed(self) -> list[InstalledPackage]:
        """Every installed package, sorted by id."""
        found = []
        for entry in sorted(self.root.iterdir()):
            match = _PACKAGE_ID.match(entry.name)
            if match and entry.is_dir():
                found.append(InstalledPackage(entry.name, match.group(1)))
        return found

    def is_installed(self, package_id: str) -> bool:
        return _PACKAGE_ID.match(package_id) is not None and (self.root / package_id).is_dir()

    def path_for(self, package_id: str) -> Path:
        """The chaincode folder (the package's src/) to give ChaincodeHost.register; KeyError if not installed."""
        if not self.is_installed(package_id):
            raise KeyError(f"chaincode package {package_id!r} is not installed")
        return self.root / package_id / SOURCE_DIR
