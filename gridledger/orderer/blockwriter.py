"""Turns an ordered batch into the next block of the chain: numbered, hash-linked, signed, stored.

Whoever decides the order (the solo loop, the raft leader) calls `write_batch`; a raft follower that receives a
block already built and signed by the leader calls `Chain.append` directly. The writer signs with the orderer's
identity only after the header is final, because the signature covers the header hash and the consensus metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gridledger.common import blockverify, hashing
from gridledger.common.logs import log_event
from gridledger.common.msp import SigningIdentity
from gridledger.orderer.chain import Chain
from gridledger.v1 import block_pb2

logger = logging.getLogger("gridledger.orderer.blockwriter")

# No config updates exist yet: the genesis block (0) stays the config in force.
LAST_CONFIG = 0


class BlockWriter:
    """Builds, signs and appends blocks for one chain; counts what it wrote for the metrics."""

    def __init__(self, chain: Chain, identity: SigningIdentity) -> None:
        self._chain = chain
        self._identity = identity
        self.blocks_written = 0
        self.envelopes_written = 0

    def create_next_block(self, envelopes: Sequence[bytes], consenter_metadata: bytes = b"") -> block_pb2.Block:
        """The signed block that would extend the chain's current tip with `envelopes`."""
        previous = self._chain.last_header
        block = block_pb2.Block()
        block.header.number = previous.number + 1
        block.header.previous_hash = hashing.header_hash(previous)
        block.header.data_hash = hashing.data_hash(envelopes)
        block.data.envelopes.extend(envelopes)
        block.metadata.consenter_metadata = consenter_metadata
        block.metadata.last_config = LAST_CONFIG
        blockverify.sign_block(block, self._identity)
        return block

    async def write_batch(self, envelopes: Sequence[bytes], consenter_metadata: bytes = b"") -> block_pb2.Block:
        """Build the next block from `envelopes`, store it and wake deliver streams; returns the block."""
        block = self.create_next_block(envelopes, consenter_metadata)
        await self._chain.append(block)
        self.blocks_written += 1
        self.envelopes_written += len(envelopes)
        log_event(logger, "block written", block=block.header.number, envelopes=len(envelopes),
                  bytes=sum(len(e) for e in envelopes))
        return block
