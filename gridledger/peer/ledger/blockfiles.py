"""Append-only block files: the durable copy of the chain, written before anything is indexed.

Each record is length(4, big-endian) || CRC-32 of the data(4) || serialized Block. The length lets recovery walk
the files without an index; the CRC tells a record torn by a crash (or damaged on disk) from a complete one, which
a length alone cannot do when the file was extended but its tail never reached the disk. A new file starts when
the current one would grow past the size limit, so no file grows without bound and old files stay untouched.
"""

from __future__ import annotations

import os
import re
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gridledger.peer.ledger.errors import LedgerCorruption
from gridledger.peer.ledger.keys import BlockLocation

HEADER = struct.Struct(">II")
DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024
_NAME = re.compile(r"blockfile_(\d{6})")


def file_name(file_no: int) -> str:
    return f"blockfile_{file_no:06d}"


@dataclass(frozen=True, slots=True)
class Record:
    """A complete, checksum-valid record found while scanning."""

    location: BlockLocation
    data: bytes


@dataclass(frozen=True, slots=True)
class BadRecord:
    """Where a scan stopped because the bytes there are not a complete, valid record."""

    file_no: int
    offset: int
    reason: str
    at_tail: bool  # nothing but these bytes follows in this file


class BlockFiles:
    """Owns the blocks/ folder: appends with fsync, reads by location, scans and trims for recovery."""

    def __init__(self, directory: Path, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        if max_file_size <= HEADER.size:
            raise ValueError(f"max_file_size must exceed {HEADER.size} bytes, got {max_file_size}")
        self._dir = directory
        self._max = max_file_size
        directory.mkdir(parents=True, exist_ok=True)
        self._readers: dict[int, int] = {}
        self._readers_lock = threading.Lock()
        self._writer: int | None = None
        self._writer_no = -1
        self._writer_size = 0

    def path(self, file_no: int) -> Path:
        return self._dir / file_name(file_no)

    def file_numbers(self) -> list[int]:
        """Existing file numbers in order; a gap means a file was removed, which no crash can cause."""
        numbers = sorted(int(m.group(1)) for p in self._dir.iterdir() if (m := _NAME.fullmatch(p.name)))
        for expected, found in enumerate(numbers):
            if expected != found:
                raise LedgerCorruption(f"block file {file_name(expected)} is missing in {self._dir}")
        return numbers

    def size(self, file_no: int) -> int:
        try:
            return self.path(file_no).stat().st_size
        except FileNotFoundError:
            raise LedgerCorruption(f"block file {self.path(file_no)} is missing") from None

    # ---- writing ----

    def append(self, data: bytes) -> BlockLocation:
        """Write one record and fsync it; when this returns the block survives any crash."""
        record = HEADER.pack(len(data), zlib.crc32(data)) + data
        fd = self._open_writer()
        if self._writer_size > 0 and self._writer_size + len(record) > self._max:
            fd = self._start_file(self._writer_no + 1)
        location = BlockLocation(self._writer_no, self._writer_size, len(data))
        view = memoryview(record)
        while view:
            view = view[os.write(fd, view) :]
        os.fdatasync(fd)
        self._writer_size += len(record)
        return location

    def _open_writer(self) -> int:
        if self._writer is None:
            numbers = self.file_numbers()
            return self._start_file(numbers[-1] if numbers else 0)
        return self._writer

    def _start_file(self, file_no: int) -> int:
        self._close_writer()
        path = self.path(file_no)
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if created:
            self._fsync_dir()
        self._writer, self._writer_no, self._writer_size = fd, file_no, os.fstat(fd).st_size
        return fd

    def _fsync_dir(self) -> None:
        """A new file's directory entry must be durable too, or a crash could lose the whole file."""
        fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def truncate(self, file_no: int, offset: int) -> None:
        """Cut a torn tail off; the writer reopens so later appends start exactly at the cut."""
        self._close_writer()
        fd = os.open(self.path(file_no), os.O_WRONLY)
        try:
            os.ftruncate(fd, offset)
            os.fsync(fd)
        finally:
            os.close(fd)

    def remove(self, file_no: int) -> None:
        self._close_writer()
        self._drop_reader(file_no)
        self.path(file_no).unlink()
        self._fsync_dir()

    # ---- reading ----

    def read(self, location: BlockLocation) -> bytes:
        """The serialized block at an indexed location, checked against its CRC."""
        file_no, offset, length = location
        raw = os.pread(self._reader(file_no), HEADER.size + length, offset)
        if len(raw) != HEADER.size + length:
            raise LedgerCorruption(
                f"{file_name(file_no)} ends before the indexed record at offset {offset} (length {length})"
            )
        stored_length, crc = HEADER.unpack_from(raw)
        data = raw[HEADER.size :]
        if stored_length != length or zlib.crc32(data) != crc:
            raise LedgerCorruption(
                f"{file_name(file_no)} offset {offset}: record does not match the index or fails its checksum"
            )
        return data

    def scan(self, file_no: int, offset: int) -> Iterator[Record | BadRecord]:
        """Records from a position to the end of the last file; stops after the first bad one."""
        numbers = self.file_numbers()
        while numbers and file_no <= numbers[-1]:
            fd, size = self._reader(file_no), self.size(file_no)
            while offset < size:
                item = self._read_at(fd, file_no, offset, size)
                yield item
                if isinstance(item, BadRecord):
                    return
                offset += HEADER.size + item.location.length
            file_no, offset = file_no + 1, 0

    def _read_at(self, fd: int, file_no: int, offset: int, size: int) -> Record | BadRecord:
        if size - offset < HEADER.size:
            return BadRecord(file_no, offset, "partial record header", at_tail=True)
        length, crc = HEADER.unpack(os.pread(fd, HEADER.size, offset))
        end = offset + HEADER.size + length
        if end > size:
            return BadRecord(file_no, offset, f"record of {length} bytes runs past the end of the file", at_tail=True)
        data = os.pread(fd, length, offset + HEADER.size)
        if zlib.crc32(data) != crc:
            return BadRecord(file_no, offset, "checksum mismatch", at_tail=end == size)
        return Record(BlockLocation(file_no, offset, length), data)

    def _reader(self, file_no: int) -> int:
        """One read descriptor per file, shared: pread needs no seek, so concurrent readers do not interfere."""
        fd = self._readers.get(file_no)
        if fd is None:
            with self._readers_lock:
                fd = self._readers.get(file_no)
                if fd is None:
                    try:
                        fd = os.open(self.path(file_no), os.O_RDONLY)
                    except FileNotFoundError:
                        raise LedgerCorruption(f"block file {self.path(file_no)} is missing") from None
                    self._readers[file_no] = fd
        return fd

    def _drop_reader(self, file_no: int) -> None:
        fd = self._readers.pop(file_no, None)
        if fd is not None:
            os.close(fd)

    # ---- lifecycle ----

    def _close_writer(self) -> None:
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None

    def close(self) -> None:
        self._close_writer()
        for file_no in list(self._readers):
            self._drop_reader(file_no)
