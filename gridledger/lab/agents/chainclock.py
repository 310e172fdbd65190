"""The market clock of height mode: committed blocks as one peer delivers them.

Agents wait on it for phase boundaries, and retries back off in blocks (as island does), so the same experiment
behaves alike on a fast and a slow machine. It also keeps island's per-block record (number, size).
"""

from __future__ import annotations

import asyncio
import csv
from dataclasses import dataclass
from pathlib import Path

from gridledger.sdk import Network
from gridledger.v1 import block_pb2


@dataclass(frozen=True, slots=True)
class BlockRecord:
    block_num: int
    size_bytes: int
    tx_count: int
    valid_count: int


class ChainClock:
    """Follows full blocks from `start`; `height` is the number of blocks seen (the next block's number)."""

    def __init__(self, network: Network) -> None:
        self._network = network
        self.height = 0
        self.blocks: list[BlockRecord] = []
        self._changed = asyncio.Condition()

    async def run(self, start: int = 0) -> None:
        """Follow blocks until cancelled (the SDK resumes the stream if the peer drops it)."""
        async for block in self._network.blocks(start):
            codes = block.metadata.validation_codes
            self.blocks.append(BlockRecord(block.header.number, block.ByteSize(), len(block.data.envelopes),
                                           sum(1 for code in codes if code == block_pb2.VALID)))
            async with self._changed:
                self.height = block.header.number + 1
                self._changed.notify_all()

    async def wait_for_height(self, height: int) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self.height >= height)

    async def wait_blocks(self, count: int) -> None:
        """Let `count` more blocks commit (returns at once for 0)."""
        if count > 0:
            await self.wait_for_height(self.height + count)



def write_blocks_csv(blocks: list[BlockRecord], path: Path) -> Path:
    """island's per-block file (blocks.csv) from the records a ChainClock kept."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["block_num", "size_kib", "tx_count", "valid_count"])
        for block in blocks:
            writer.writerow([block.block_num, f"{block.size_bytes / 1024:.3f}", block.tx_count, block.valid_count])
    return path
