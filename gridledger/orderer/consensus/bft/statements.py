"""What BFT consenters sign: the explicit byte layouts of docs/bft.md ("Signed statements"), and certificate ranks.

Protobuf serialisation is not canonical, so nothing here signs a message's bytes: every statement is built from
its fields in a fixed layout that names the channel, the view and the height, so a signature can never be replayed
on another channel, view or height, or counted for another phase. A commit vote is exactly what
`common/blockverify.py` verifies on a stored block (header hash followed by the block's consenter metadata), which
is why the block's `consenter_metadata` is `metadata(COMMIT, ...)` of the view it commits in.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gridledger.v1 import bft_pb2, block_pb2

PREPARE = bft_pb2.BFT_PREPARE
COMMIT = bft_pb2.BFT_COMMIT
_TAGS = {PREPARE: b"gridledger-bft-prepare", COMMIT: b"gridledger-bft-commit"}
_PROPOSAL_TAG = b"gridledger-bft-proposal"
_TIMEOUT_TAG = b"gridledger-bft-timeout"


class MetadataError(ValueError):
    """Consenter metadata that is not a BFT commit statement of this channel."""


def _meta(tag: bytes, channel: str, view: int, height: int) -> bytes:
    name = channel.encode()
    return tag + struct.pack(">H", len(name)) + name + struct.pack(">QQ", view, height)


def metadata(phase: int, channel: str, view: int, height: int) -> bytes:
    """`meta(phase, v, h)`; for COMMIT also the consenter metadata of a block committed in view `view`."""
    return _meta(_TAGS[phase], channel, view, height)


def vote_statement(phase: int, channel: str, view: int, height: int, block_hash: bytes) -> bytes:
    return block_hash + metadata(phase, channel, view, height)


def proposal_statement(channel: str, view: int, height: int, block_hash: bytes) -> bytes:
    return block_hash + _meta(_PROPOSAL_TAG, channel, view, height)


@dataclass(frozen=True, order=True)
class Rank:
    """How high a certificate stands: (height, phase, view), COMMIT above PREPARE at one height."""

    height: int
    phase: int
    view: int

    @classmethod
    def of(cls, certificate: bft_pb2.BftCertificate) -> Rank:
        if certificate.height == 0:
            return GENESIS_RANK
        return cls(certificate.height, certificate.phase, certificate.view)

    @classmethod
    def from_proto(cls, rank: bft_pb2.BftRank) -> Rank:
        return GENESIS_RANK if rank.height == 0 else cls(rank.height, rank.phase, rank.view)

    def to_proto(self) -> bft_pb2.BftRank:
        return bft_pb2.BftRank(height=self.height, phase=self.phase, view=self.view)


GENESIS_RANK = Rank(0, COMMIT, 0)


def timeout_statement(channel: str, view: int, rank: Rank) -> bytes:
    return _meta(_TIMEOUT_TAG, channel, view, 0) + struct.pack(">QBQ", rank.height, rank.phase, rank.view)


def commit_view(block: block_pb2.Block, channel: str) -> int:
    """The view a stored block committed in, read back from its consenter metadata (checked, not trusted: the
    block's signatures already cover it)."""
    raw = block.metadata.consenter_metadata
    tag = _TAGS[COMMIT]
    name = channel.encode()
    prefix = tag + struct.pack(">H", len(name)) + name
    if not raw.startswith(prefix) or len(raw) != len(prefix) + 16:
        raise MetadataError(f"block {block.header.number} carries no BFT commit metadata for channel {channel!r}")
    view, height = struct.unpack(">QQ", raw[len(prefix):])
    if height != block.header.number:
        raise MetadataError(f"block {block.header.number} carries commit metadata for height {height}")
    return view

