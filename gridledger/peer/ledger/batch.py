"""Everything one block changes in LevelDB, gathered into a single write batch.

Index entries, state, history, the state hash and the savepoint go into the same batch on purpose: LevelDB applies
a batch atomically, so after a crash the savepoint never claims a block whose effects are missing (or vice versa),
and recovery only has to replay blocks past the savepoint.
"""

from __future__ import annotations

from typing import Any

from gridledger.common import hashing
from gridledger.peer.ledger import keys
from gridledger.peer.ledger.keys import BlockLocation
from gridledger.peer.ledger.snapshot import encode_value
from gridledger.peer.ledger.statehash import next_state_hash
from gridledger.peer.ledger.txdata import TxEntry
from gridledger.v1 import block_pb2

_DELETED, _WRITTEN = b"\x01", b"\x00"


def stage_block(
    batch: Any,
    block: block_pb2.Block,
    entries: list[TxEntry],
    location: BlockLocation,
    previous_state_hash: bytes,
) -> tuple[bytes, bytes]:
    """Put the block's changes into `batch` (plyvel WriteBatch); returns (header hash, new state hash).

    Writes are applied in tx order and then as listed, so when a block writes a key twice the later write wins,
    exactly as the state hash orders them.
    """
    number = block.header.number
    batch.put(keys.block_key(number), keys.encode_location(location))
    for entry in entries:
        if entry.tx_id is not None:
            batch.put(keys.txid_key(entry.tx_id, number, entry.tx_num), keys.encode_code(entry.code))
        for write in entry.writes:
            state_key = keys.state_key(write.namespace, write.key)
            history_key = keys.history_key(write.namespace, write.key, number, entry.tx_num)
            if write.is_delete:
                batch.delete(state_key)
                batch.put(history_key, _DELETED)
            else:
                batch.put(state_key, encode_value(write.value, number, entry.tx_num))
                batch.put(history_key, _WRITTEN)
    header_hash = hashing.header_hash(block.header)
    state_hash = next_state_hash(previous_state_hash, entries)
    batch.put(keys.state_hash_key(number), state_hash)
    batch.put(keys.SAVEPOINT, keys.encode_savepoint(number, header_hash))
    return header_hash, state_hash


def is_delete_marker(raw: bytes) -> bool:
    return raw == _DELETED
