"""Blocks delivered during the run, from one peer's deliver service: when each arrived, how many transactions and
bytes it carried. Block fill is measured against the network's batch settings (max_message_count and
preferred_max_bytes), so a report shows whether blocks were cut by count, by size or by the batch timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass

from gridledger.ops.netconfig import Batch
from gridledger.sdk import Network


@dataclass(frozen=True)
class BlockSeen:
    at: float  # time.monotonic() when it arrived
    number: int
    transactions: int
    size: int  # bytes, serialized


class BlockListener:
    """Follows the chain from the next block on, in a task of the coordinator's event loop."""

    def __init__(self, network: Network) -> None:
        self._network = network
        self.blocks: list[BlockSeen] = []
        self._task: asyncio.Task | None = None

    async def _follow(self) -> None:
        async for block in self._network.blocks():
            self.blocks.append(BlockSeen(time.monotonic(), block.header.number, len(block.data.envelopes),
                                         block.ByteSize()))

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def between(self, start: float, end: float) -> list[BlockSeen]:
        return [b for b in self.blocks if start <= b.at <= end]


def block_summary(blocks: list[BlockSeen], batch: Batch) -> dict[str, float]:
    """Count, mean transactions and bytes per block, and mean fill against the batch limits (0..1)."""
    if not blocks:
        return {"count": 0}
    count = len(blocks)
    transactions = sum(b.transactions for b in blocks) / count
    size = sum(b.size for b in blocks) / count
    return {"count": count, "tx_per_block_mean": transactions, "tx_per_block_max": max(b.transactions for b in blocks),
            "bytes_per_block_mean": size, "fill_by_count": transactions / batch.max_message_count,
            "fill_by_bytes": size / batch.preferred_max_bytes}
