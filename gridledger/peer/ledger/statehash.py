"""The cumulative state hash: one 32-byte value that two peers compare to know their world states agree.

state_hash_n = SHA-256(state_hash_{n-1} || writes_digest(block n)), with 32 zero bytes before block 0. The digest
covers the valid writes in commit order with an explicit, length-prefixed encoding (not protobuf serialisation,
which is not canonical), and includes the tx number because it becomes part of each key's version.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from gridledger.peer.ledger.txdata import TxEntry

EMPTY_STATE_HASH = bytes(32)
_U32 = struct.Struct(">I")


def writes_digest(entries: Iterable[TxEntry]) -> bytes:
    """SHA-256 over tx(4) || len+namespace || len+key || is_delete(1) || len+value for each write, in order."""
    digest = hashlib.sha256()
    for entry in entries:
        tx = _U32.pack(entry.tx_num)
        for write in entry.writes:
            namespace, key = write.namespace.encode(), write.key.encode()
            digest.update(
                b"".join(
                    (
                        tx,
                        _U32.pack(len(namespace)),
                        namespace,
                        _U32.pack(len(key)),
                        key,
                        b"\x01" if write.is_delete else b"\x00",
                        _U32.pack(len(write.value)),
                        write.value,
                    )
                )
            )
    return digest.digest()


def next_state_hash(previous: bytes, entries: Iterable[TxEntry]) -> bytes:
    return hashlib.sha256(previous + writes_digest(entries)).digest()
