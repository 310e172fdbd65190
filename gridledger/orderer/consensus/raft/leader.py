"""What the leader does with broadcast envelopes during one term: cut, build, sign, propose, acknowledge.

Envelopes (submitted locally or forwarded by followers) go through the shared BlockCutter; every batch it cuts
becomes a block on top of the last block in the leader's raft log, signed by the leader and proposed as one raft
entry. The batch timer runs from the first envelope of a pending batch, as in solo.

Acknowledgement: a `submit` returns only when the block holding its last envelope is committed, that is, written
(fsync'd) to the raft log of a majority of consenters; so SUCCESS survives the crash of any minority, the leader
included. Blocks are pipelined: the leader proposes the next block without waiting for the previous to commit.

The session ends when this node stops being leader. Envelopes still in the cutter were never proposed and never
will be: their submitters get SERVICE_UNAVAILABLE. Submitters of proposed but uncommitted blocks get
SERVICE_UNAVAILABLE too, saying that the outcome is unknown: the new leader may still commit those blocks. A client
that retries then may order an envelope twice; peers mark the second copy DUPLICATE_TXID.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import ChainTip
from gridledger.orderer.consensus.plugin import ServiceUnavailable
from gridledger.orderer.consensus.raft.core import RaftCore
from gridledger.orderer.cutter import Batch, BatchLimits, BlockCutter
from gridledger.v1 import raft_pb2


class LeaderSession:
    """Leadership of one term on this node."""

    def __init__(self, core: RaftCore, tip: ChainTip, limits: BatchLimits, writer: BlockWriter,
                 on_proposed: Callable[[], None], observe_latency: Callable[[float], None],
                 commit_timeout_s: float) -> None:
        self.term = core.term
        self._core = core
        self._tip = tip
        self._limits = limits
        self._writer = writer
        self._on_proposed = on_proposed
        self._observe_latency = observe_latency
        self._commit_timeout_s = commit_timeout_s
        self._cutter = BlockCutter(limits)
        self._loop = asyncio.get_running_loop()
        self._pending: list[asyncio.Future[None]] = []  # submitters whose last envelope is in the cutter
        self._proposed: deque[tuple[int, float, list[asyncio.Future[None]]]] = deque()  # (index, time, waiters)
        self._timer: asyncio.TimerHandle | None = None
        self._closed: str | None = None

    @property
    def tip(self) -> ChainTip:
        return self._tip

    async def submit(self, envelopes: list[bytes]) -> None:
        """Order `envelopes`; return once they are committed, raise ServiceUnavailable when they cannot be."""
        if self._closed is not None:
            raise ServiceUnavailable(self._closed)
        future: asyncio.Future[None] = self._loop.create_future()
        had_pending = self._cutter.pending_count > 0
        cut_any = False
        for envelope in envelopes:
            for batch in self._cutter.ordered(envelope):
                self._propose(batch)
                cut_any = True
        if self._cutter.pending_count:
            self._pending.append(future)
            if cut_any or not had_pending:
                self._restart_timer()
        else:
            self._cancel_timer()
            self._attach(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), self._commit_timeout_s)
        except TimeoutError:
            raise ServiceUnavailable(f"the envelopes were not committed within {self._commit_timeout_s:.0f}s; they "
                                     "may still be ordered") from None
        finally:
            if not future.done():
                future.cancel()  # nobody waits for it any more; a late outcome must not be reported as unretrieved

    def committed(self, index: int) -> None:
        """Entries up to `index` are committed: acknowledge their submitters."""
        now = self._loop.time()
        while self._proposed and self._proposed[0][0] <= index:
            _, proposed_at, waiters = self._proposed.popleft()
            self._observe_latency(now - proposed_at)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def close(self, reason: str) -> None:
        """Leadership is over: nothing more is proposed, and every waiting submitter is told."""
        if self._closed is not None:
            return
        self._closed = reason
        self._cancel_timer()
        self._cutter.cut()
        unknown = ServiceUnavailable(f"{reason}; envelopes already proposed may still be ordered")
        for _, _, waiters in self._proposed:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(unknown)
        for waiter in self._pending:
            if not waiter.done():
                waiter.set_exception(ServiceUnavailable(f"{reason}; the envelopes were not ordered"))
        self._proposed.clear()
        self._pending = []

    def _attach(self, future: asyncio.Future[None]) -> None:
        """`future`'s envelopes are all in proposed blocks: it completes with the newest one."""
        if self._proposed:
            self._proposed[-1][2].append(future)
        else:  # committed already (cannot happen with a pipeline that only grows, but never leave it hanging)
            future.set_result(None)

    def _propose(self, batch: Batch) -> None:
        index = self._core.log.last_index + 1
        metadata = raft_pb2.RaftBlockMetadata(raft_index=index, raft_term=self.term, leader=self._core.id)
        block = self._writer.build(self._tip, batch, metadata.SerializeToString())
        proposed = self._core.propose(raft_pb2.RAFT_ENTRY_BLOCK, block.SerializeToString())
        if proposed != index:
            raise AssertionError(f"block proposed at raft index {proposed}, built for {index}")
        self._tip = ChainTip.of(block.header)
        waiters, self._pending = self._pending, []
        self._proposed.append((index, self._loop.time(), waiters))
        self._on_proposed()

    def _restart_timer(self) -> None:
        self._cancel_timer()
        self._timer = self._loop.call_later(self._limits.batch_timeout_s, self._timeout)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timeout(self) -> None:
        self._timer = None
        if self._closed is None:
            batch = self._cutter.cut()
            if batch:
                self._propose(batch)
