"""SHA-256 helpers and the explicit encodings that the hash chain and transaction ids rely on.

Block hashes use a fixed byte layout instead of protobuf serialisation, which is not guaranteed to be canonical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from gridledger.v1 import block_pb2


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def tx_id(nonce: bytes, creator_certificate: bytes) -> str:
    """Transaction id = hex(SHA-256(nonce || creator certificate)), as in Fabric."""
    return hashlib.sha256(nonce + creator_certificate).hexdigest()


def data_hash(envelopes: Iterable[bytes]) -> bytes:
    """Hash of a block's data: every envelope prefixed by its 4-byte big-endian length, so splits are unambiguous."""
    digest = hashlib.sha256()
    for envelope in envelopes:
        digest.update(len(envelope).to_bytes(4, "big"))
        digest.update(envelope)
    return digest.digest()


def header_hash(header: block_pb2.BlockHeader) -> bytes:
    """Hash of a block header: SHA-256(number as 8 bytes big-endian || previous_hash || data_hash)."""
    return sha256(header.number.to_bytes(8, "big") + header.previous_hash + header.data_hash)


def proposal_hash(header: bytes, invocation: bytes) -> bytes:
    """What an endorsement binds to: the proposal without its transient data."""
    return sha256(len(header).to_bytes(4, "big") + header + invocation)
