"""Solo: one orderer, no replication. For unit tests and quick demos only.

Submitted envelopes go into an in-memory queue; one loop feeds them to the block cutter and writes every batch it
cuts, and cuts a partial batch when `batch_timeout_ms` has passed since the first envelope of that batch arrived.

Acknowledgement: `submit` returns (and Broadcast answers SUCCESS) once the envelopes are in the in-memory queue,
not once they are in a block. A clean stop (SIGTERM) writes everything that was queued; a crash (kill -9, power
loss) before the block is cut loses the envelopes acknowledged since the last block. That is why solo is not for
production: raft and bft acknowledge only what a quorum has persisted.
"""

from __future__ import annotations

import asyncio
import logging

from gridledger.common.logs import log_event
from gridledger.orderer.consensus.plugin import ConsenterSupport, ServiceUnavailable
from gridledger.orderer.cutter import BlockCutter

logger = logging.getLogger("gridledger.orderer.consensus.solo")

# Submitted batches waiting for the loop; a full queue makes Broadcast wait, which slows clients down (backpressure)
# instead of growing memory without bound.
DEFAULT_QUEUE_BATCHES = 1024


class SoloConsenter:
    """The single-node consenter (implements `consensus.Consenter`)."""

    def __init__(self, support: ConsenterSupport, queue_batches: int = DEFAULT_QUEUE_BATCHES) -> None:
        self._limits = support.limits
        self._writer = support.writer
        self._halt = support.halt
        self._queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue(maxsize=queue_batches)
        self._task: asyncio.Task[None] | None = None
        self._accepting = False

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the solo consenter was already started")
        self._accepting = True
        self._task = asyncio.create_task(self._run(), name="solo-ordering")

    async def submit(self, envelopes: list[bytes]) -> None:
        if not self._accepting or self._task is None:
            raise ServiceUnavailable("the orderer is not accepting transactions (starting or stopping)")
        if self._task.done():
            raise ServiceUnavailable("the solo ordering loop has failed; see the orderer log")
        await self._queue.put(list(envelopes))

    async def stop(self) -> None:
        """Stop accepting, write everything already queued (cutting the last partial batch), then return."""
        self._accepting = False
        task = self._task
        if task is None or task.done():
            return
        await self._queue.put(None)
        await task

    async def _run(self) -> None:
        try:
            await self._order()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log_event(logger, "solo ordering stopped by an error", level=logging.ERROR, exc_info=True)
            self._halt(f"solo ordering: {type(exc).__name__}: {exc}")

    async def _order(self) -> None:
        loop = asyncio.get_running_loop()
        cutter = BlockCutter(self._limits)
        deadline: float | None = None  # when the pending batch must be cut; None while nothing is pending
        while True:
            try:
                async with asyncio.timeout_at(deadline):
                    item = await self._queue.get()
            except TimeoutError:
                deadline = None
                batch = cutter.cut()
                if batch:
                    await self._writer.write_batch(batch)
                continue
            if item is None:
                batch = cutter.cut()
                if batch:
                    await self._writer.write_batch(batch)
                return
            had_pending = cutter.pending_count > 0
            cut_any = False
            for envelope in item:
                for batch in cutter.ordered(envelope):
                    await self._writer.write_batch(batch)
                    cut_any = True
            if cutter.pending_count == 0:
                deadline = None
            elif cut_any or not had_pending:
                # The timer runs from the first envelope of the batch now pending.
                deadline = loop.time() + self._limits.batch_timeout_s
