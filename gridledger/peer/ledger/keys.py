"""Byte layout of every LevelDB key and value the ledger writes.

All records share one LevelDB so that a block's index entries, state changes, history, state hash and savepoint
land in one atomic write batch. A one-byte prefix keeps the record kinds apart. Strings are UTF-8, and UTF-8 never
contains the byte 0xFF, so 0xFF ends every variable-length string: no namespace, key or txid can be mistaken for a
prefix of another, and everything under one namespace sorts in key order (byte order of UTF-8 = code point order).
Numbers are big-endian so that LevelDB's byte order is numeric order.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

END = b"\xff"  # terminates a string; never occurs in UTF-8

BLOCK = b"b"  # b + block(8) -> BlockLocation
TXID = b"t"  # t + txid + END + block(8) + tx(4) -> validation code(4)
STATE = b"s"  # s + namespace + END + key -> block(8) + tx(4) + value
HISTORY = b"h"  # h + namespace + END + key + END + block(8) + tx(4) -> is_delete(1)
STATE_HASH = b"x"  # x + block(8) -> cumulative state hash(32)
SAVEPOINT = b"m" + b"savepoint"  # -> last committed block(8) + its header hash(32)

_NUM = struct.Struct(">Q")
_VERSION = struct.Struct(">QI")
_LOCATION = struct.Struct(">IQI")
_CODE = struct.Struct(">i")
_SAVEPOINT = struct.Struct(">Q32s")

VERSION_SIZE = _VERSION.size


class BlockLocation(NamedTuple):
    """Where a block's record lives: file number, offset of the record header, length of the serialized block."""

    file_no: int
    offset: int
    length: int


def number(n: int) -> bytes:
    return _NUM.pack(n)


def block_key(n: int) -> bytes:
    return BLOCK + _NUM.pack(n)


def encode_location(location: BlockLocation) -> bytes:
    return _LOCATION.pack(*location)


def decode_location(raw: bytes) -> BlockLocation:
    return BlockLocation(*_LOCATION.unpack(raw))


def txid_prefix(tx_id: str) -> bytes:
    return TXID + tx_id.encode() + END


def txid_key(tx_id: str, block_num: int, tx_num: int) -> bytes:
    return txid_prefix(tx_id) + _VERSION.pack(block_num, tx_num)


def decode_version_suffix(key_tail: bytes) -> tuple[int, int]:
    """(block, tx) from the last 12 bytes of a txid or history key."""
    return _VERSION.unpack(key_tail[-VERSION_SIZE:])


def encode_code(code: int) -> bytes:
    return _CODE.pack(code)


def decode_code(raw: bytes) -> int:
    return _CODE.unpack(raw)[0]


def namespace_prefix(namespace: str) -> bytes:
    return STATE + namespace.encode() + END


def state_key(namespace: str, key: str) -> bytes:
    return STATE + namespace.encode() + END + key.encode()


def encode_version(block_num: int, tx_num: int) -> bytes:
    return _VERSION.pack(block_num, tx_num)


def decode_version(raw: bytes) -> tuple[int, int]:
    return _VERSION.unpack_from(raw)


def history_prefix(namespace: str, key: str) -> bytes:
    return HISTORY + namespace.encode() + END + key.encode() + END


def history_key(namespace: str, key: str, block_num: int, tx_num: int) -> bytes:
    return history_prefix(namespace, key) + _VERSION.pack(block_num, tx_num)


def state_hash_key(n: int) -> bytes:
    return STATE_HASH + _NUM.pack(n)


def encode_savepoint(block_num: int, header_hash: bytes) -> bytes:
    return _SAVEPOINT.pack(block_num, header_hash)


def decode_savepoint(raw: bytes) -> tuple[int, bytes]:
    block_num, header_hash = _SAVEPOINT.unpack(raw)
    return block_num, header_hash
