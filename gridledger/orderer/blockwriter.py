"""Builds, signs, stores and counts blocks for every consensus plugin: no plugin builds or counts blocks itself.

- `build(tip, envelopes, metadata)`: the signed block after any tip (a raft leader builds on its log's last block,
  which may be ahead of the stored chain); `write_batch` builds on the stored chain's tip and appends (solo).
- `append(block)`: store a block (built here or by another orderer, e.g. a raft entry or a fetched block), wake
  deliver streams and count it for the metrics.
The writer signs with the orderer's identity only after the header is final, because the signature covers the
header hash and the consensus metadata.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from gridledger.common import blockverify, hashing
from gridledger.common.logs import log_event
from gridledger.common.msp import SigningIdentity
from gridledger.orderer.chain import Chain, ChainTip
from gridledger.v1 import block_pb2

logger = logging.getLogger("gridledger.orderer.blockwriter")

# No config updates exist yet: the genesis block (0) stays the config in force.
LAST_CONFIG = 0


class BlockWriter:
    """Builds, signs and appends blocks for one chain; counts what this process stored for the metrics."""

    def __init__(self, chain: Chain, identity: SigningIdentity) -> None:
        self._chain = chain
        self._identity = identity
        self.blocks_written = 0
        self.envelopes_written = 0

    def build(self, tip: ChainTip, envelopes: Sequence[bytes], consenter_metadata: bytes = b"") -> block_pb2.Block:
        """The signed block that extends `tip` with `envelopes`; the signature covers the consenter metadata."""
        block = block_pb2.Block()
        block.header.number = tip.number + 1
        block.header.previous_hash = tip.hash
        block.header.data_hash = hashing.data_hash(envelopes)
        block.data.envelopes.extend(envelopes)
        block.metadata.consenter_metadata = consenter_metadata
        block.metadata.last_config = LAST_CONFIG
        blockverify.sign_block(block, self._identity)
        return block

    async def write_batch(self, envelopes: Sequence[bytes], consenter_metadata: bytes = b"") -> block_pb2.Block:
        """Build the next block on the stored chain from `envelopes` and append it; returns the block."""
        block = self.build(ChainTip.of(self._chain.last_header), envelopes, consenter_metadata)
        await self.append(block)
        return block

    async def append(self, block: block_pb2.Block, **log_fields: object) -> None:
        """Store `block` (Chain.append checks it links to the tip), wake deliver streams and count it."""
        await self._chain.append(block)
        envelopes = block.data.envelopes
        self.blocks_written += 1
        self.envelopes_written += len(envelopes)
        log_event(logger, "block written", block=block.header.number, envelopes=len(envelopes),
                  bytes=sum(len(e) for e in envelopes), **log_fields)
