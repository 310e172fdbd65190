"""Bringing the LevelDB index back in line with the block files when a ledger opens.

commit() appends and fsyncs the block before writing its batch, so after a crash the files can only be ahead of
the savepoint: by complete records (appended, never indexed: replay them) and at most one torn record at the very
end (the append was cut short: drop it). Anything else means data was lost or altered outside the ledger, and is
reported as LedgerCorruption rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError

from gridledger.common import hashing
from gridledger.peer.ledger import keys
from gridledger.peer.ledger.blockfiles import HEADER, BadRecord, BlockFiles, file_name
from gridledger.peer.ledger.errors import LedgerCorruption
from gridledger.peer.ledger.keys import BlockLocation
from gridledger.peer.ledger.statehash import EMPTY_STATE_HASH
from gridledger.v1 import block_pb2


@dataclass(frozen=True, slots=True)
class Tip:
    """The committed end of the chain: what the next block must follow."""

    height: int
    last_hash: bytes
    state_hash: bytes


EMPTY_TIP = Tip(0, b"", EMPTY_STATE_HASH)


def load_tip(db: Any, files: BlockFiles) -> tuple[Tip, tuple[int, int]]:
    """The savepoint's tip and the file position just after its block, checked against the block file."""
    raw = db.get(keys.SAVEPOINT)
    if raw is None:
        return EMPTY_TIP, (0, 0)
    number, last_hash = keys.decode_savepoint(raw)
    raw_location = db.get(keys.block_key(number))
    state_hash = db.get(keys.state_hash_key(number))
    if raw_location is None or state_hash is None:
        raise LedgerCorruption(f"savepoint names block {number} but the index has no location or state hash for it")
    location = keys.decode_location(raw_location)
    block = parse_block(files.read(location), location)
    if block.header.number != number or hashing.header_hash(block.header) != last_hash:
        raise LedgerCorruption(
            f"{file_name(location.file_no)} offset {location.offset} holds block {block.header.number}, "
            f"not the block {number} that the savepoint records"
        )
    return Tip(number + 1, last_hash, state_hash), (location.file_no, location.offset + HEADER.size + location.length)


def replay_tail(
    files: BlockFiles, position: tuple[int, int], apply: Callable[[BlockLocation, block_pb2.Block], None]
) -> int:
    """Apply every complete record after `position`, cut a torn tail; returns how many blocks were replayed."""
    replayed = 0
    for item in files.scan(*position):
        if isinstance(item, BadRecord):
            _cut_tail(files, item)
            break
        apply(item.location, parse_block(item.data, item.location))
        replayed += 1
    return replayed


def _cut_tail(files: BlockFiles, bad: BadRecord) -> None:
    later = [n for n in files.file_numbers() if n > bad.file_no]
    if not bad.at_tail or any(files.size(n) > 0 for n in later):
        raise LedgerCorruption(
            f"{file_name(bad.file_no)} offset {bad.offset}: {bad.reason}, and block data follows it, "
            "so it is not a torn final append"
        )
    for n in reversed(later):
        files.remove(n)
    files.truncate(bad.file_no, bad.offset)


def parse_block(data: bytes, location: BlockLocation) -> block_pb2.Block:
    try:
        return block_pb2.Block.FromString(data)
    except DecodeError as exc:
        raise LedgerCorruption(
            f"{file_name(location.file_no)} offset {location.offset}: record passes its checksum but is not a Block"
        ) from exc
