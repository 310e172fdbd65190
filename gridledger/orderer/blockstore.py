"""The orderer's durable copy of the chain: one LevelDB, block number -> serialized block, plus the height.

The orderer does not need the peer's block files and indexes: it reads blocks by number only (Deliver) and appends
one block at a time. Each append writes the block and the new height in one synchronous (fsync'd) write batch, so
after a crash the store holds exactly the blocks that were acknowledged as written, never a height without its
block. Blocks are stored as the bytes that were signed and hashed, and served as stored.
"""

from __future__ import annotations

from pathlib import Path

from gridledger.common.leveldb import open_db

_BLOCK = b"b"  # b"b" + number (8 bytes big-endian) -> serialized Block; big-endian keeps LevelDB order = chain order
_HEIGHT = b"h"  # number of blocks, 8 bytes big-endian


class StoreError(Exception):
    """The store cannot be opened or is inconsistent; the message says what to do."""


def _block_key(number: int) -> bytes:
    return _BLOCK + number.to_bytes(8, "big")


class BlockStore:
    """Appends and reads serialized blocks. Safe to call from one writer thread and any number of readers."""

    def __init__(self, path: Path) -> None:
        self._db = open_db(path, "the block store", StoreError)
        self._path = path
        self._height = self._load_height()

    def _load_height(self) -> int:
        raw = self._db.get(_HEIGHT)
        if raw is None:
            if self._db.get(_block_key(0)) is not None:
                raise StoreError(f"the block store in {self._path} has blocks but no height record")
            return 0
        height = int.from_bytes(raw, "big")
        if height and self._db.get(_block_key(height - 1)) is None:
            raise StoreError(f"the block store in {self._path} records height {height} but block {height - 1} "
                             "is missing")
        return height

    @property
    def height(self) -> int:
        """Number of blocks stored; the next block's number."""
        return self._height

    def get(self, number: int) -> bytes | None:
        """The serialized block `number`, or None when it is not (yet) stored."""
        if not 0 <= number < self._height:
            return None
        return self._db.get(_block_key(number))

    def append(self, number: int, block: bytes) -> None:
        """Store block `number`, which must be the next one; returns once it is on disk."""
        if number != self._height:
            raise StoreError(f"cannot append block {number}: the store's next block is {self._height}")
        with self._db.write_batch(sync=True) as batch:
            batch.put(_block_key(number), block)
            batch.put(_HEIGHT, (number + 1).to_bytes(8, "big"))
        self._height = number + 1

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()
