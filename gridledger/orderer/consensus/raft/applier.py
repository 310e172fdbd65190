"""Applies what raft committed to the orderer's chain, in log order, on every node (leader and followers alike).

A committed block entry is appended to the chain store. Applying is idempotent, which is what makes restarts
simple: after a crash the node replays the committed entries after its snapshot, and a block the chain already
holds is skipped once its header hash is confirmed equal (a difference would be a fork, and stops the node rather
than serve it). A snapshot means "the chain is at height H ending in hash X": if the chain is behind, the missing
blocks come from other orderers' Deliver (catchup.py).

It runs as its own task, apart from the raft loop, so a slow fsync of the chain store or a long catch-up never
delays heartbeats, votes or acknowledgements.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from gridledger.common import hashing
from gridledger.common.logs import log_event
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import Chain, ChainTip
from gridledger.orderer.consensus.catchup import BlockFetcher
from gridledger.orderer.consensus.raft.blocks import snapshot_tip
from gridledger.v1 import block_pb2, raft_pb2

logger = logging.getLogger("gridledger.orderer.consensus.raft.applier")


class ForkError(Exception):
    """The raft log and the chain store disagree: continuing would serve two different chains."""


Work = raft_pb2.RaftSnapshot | list[raft_pb2.RaftEntry]


class Applier:
    """Consumes committed entries and snapshots; reports (raft index, chain tip) after each piece of work."""

    def __init__(self, chain: Chain, writer: BlockWriter, fetcher: BlockFetcher, tip: ChainTip, applied: int,
                 on_applied: Callable[[int, ChainTip], None], leader: Callable[[], str | None]) -> None:
        self._chain = chain
        self._writer = writer
        self._fetcher = fetcher
        self._on_applied = on_applied
        self._leader = leader
        self._queue: asyncio.Queue[Work] = asyncio.Queue()
        self._writing: asyncio.Future[None] | None = None
        self.applied = applied
        self.tip = tip  # the chain as the applied entries define it (the store may hold more after a restart)

    def enqueue(self, work: Work) -> None:
        self._queue.put_nowait(work)

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    async def run(self) -> None:
        while True:
            work = await self._queue.get()
            if isinstance(work, raft_pb2.RaftSnapshot):
                await self._apply_snapshot(work)
                self.applied = work.index
            else:
                for entry in work:
                    if entry.index <= self.applied:
                        continue  # covered by a snapshot installed meanwhile
                    if entry.type == raft_pb2.RAFT_ENTRY_BLOCK:
                        await self._apply_block(entry)
                    self.applied = entry.index
            self._on_applied(self.applied, self.tip)

    async def _apply_snapshot(self, snapshot: raft_pb2.RaftSnapshot) -> None:
        tip = snapshot_tip(snapshot)
        if self._chain.height < tip.height:
            log_event(logger, "catching up to a raft snapshot", index=snapshot.index, height=self._chain.height,
                      target=tip.height)
            await self._fetcher.fetch(self._chain, tip.height, self._leader, self._append)
        stored = hashing.header_hash(self._chain.block(tip.number).header)
        if stored != tip.hash:
            raise ForkError(f"raft snapshot {snapshot.index} ends the chain at block {tip.number} with another hash "
                            "than the stored block")
        self.tip = tip

    async def _apply_block(self, entry: raft_pb2.RaftEntry) -> None:
        block = block_pb2.Block.FromString(entry.data)
        header = block.header
        tip = ChainTip.of(header)
        if header.number < self._chain.height:
            if hashing.header_hash(self._chain.block(header.number).header) != tip.hash:
                raise ForkError(f"raft entry {entry.index} holds block {header.number}, which differs from the "
                                "stored block with that number")
            self.tip = tip
            return
        if header.number > self._chain.height:
            # Only after a snapshot whose blocks we have not fetched yet; fetch up to this block.
            await self._fetcher.fetch(self._chain, header.number, self._leader, self._append)
        if header.previous_hash != hashing.header_hash(self._chain.last_header):
            raise ForkError(f"raft entry {entry.index}: block {header.number} does not link to the stored block "
                            f"{header.number - 1}")
        await self._append(block, raft_index=entry.index)
        self.tip = tip

    async def _append(self, block: block_pb2.Block, **log_fields: object) -> None:
        """Append through the writer (which stores and counts); a stop that cancels us still lets the write finish
        (wait_writes) before the store is closed."""
        self._writing = asyncio.ensure_future(self._writer.append(block, **log_fields))
        await asyncio.shield(self._writing)

    async def wait_writes(self) -> None:
        if self._writing is not None and not self._writing.done():
            with contextlib.suppress(Exception):
                await self._writing
