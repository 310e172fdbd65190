"""Broadcast: clients stream batches of envelopes; each batch gets one response with one result per envelope.

Batches are the fast path (docs/performance.md): one gRPC message carries many envelopes, every envelope is
validated once, and the valid ones of a batch go to the consenter in a single `submit`. SUCCESS means what the
consenter's `submit` means (solo: queued in memory; see consensus/solo/consenter.py). A batch's results are sent
only after the consenter accepted or refused its envelopes, and batches of one stream are answered in order.

Malformed input never escapes as an exception: a message that is not an EnvelopeBatch ends the stream with
INVALID_ARGUMENT (there is no way to say how many results it would need); a malformed envelope inside a batch is
just a BAD_REQUEST result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator

import grpc
from prometheus_client import Counter as MetricCounter
from prometheus_client import Histogram

from gridledger.common.logs import log_event
from gridledger.orderer.consensus import Consenter, ServiceUnavailable
from gridledger.orderer.validation import SERVICE_UNAVAILABLE, EnvelopeValidator, Verdict
from gridledger.v1 import orderer_pb2

logger = logging.getLogger("gridledger.orderer.broadcast")

# Validating a large batch is CPU work on the event loop; yielding every so often keeps deliver streams and other
# broadcast streams moving meanwhile.
YIELD_EVERY = 64


class BroadcastService:
    """The Broadcast half of AtomicBroadcast for one channel."""

    def __init__(self, validator: EnvelopeValidator, consenter: Consenter, envelopes_total: MetricCounter,
                 submit_seconds: Histogram) -> None:
        self._validator = validator
        self._consenter = consenter
        self._envelopes_total = envelopes_total
        self._submit_seconds = submit_seconds

    async def broadcast(self, requests: AsyncIterator[bytes],
                        context: grpc.aio.ServicerContext) -> AsyncIterator[orderer_pb2.BroadcastResponse]:
        """The stream handler; requests arrive as raw bytes so that parse errors are ours to answer.

        Batches are pipelined: each is validated and handed to the consenter in arrival order, but the stream does
        not wait for one batch's outcome (under Raft: its block committing) before taking the next, so one client
        stream can fill a block; answers still go out in order.
        """
        pending: asyncio.Queue[asyncio.Task | None] = asyncio.Queue()

        async def take_batches() -> None:
            try:
                async for raw in requests:
                    try:
                        batch = orderer_pb2.EnvelopeBatch.FromString(raw)
                    except Exception as exc:  # DecodeError, bad UTF-8, ...
                        await pending.put(asyncio.create_task(_refuse(context, len(raw), exc)))
                        return
                    verdicts, accepted = await self._validate(batch)
                    await pending.put(asyncio.create_task(self._finish(verdicts, accepted)))
            finally:
                await pending.put(None)

        reader = asyncio.create_task(take_batches())
        try:
            while (task := await pending.get()) is not None:
                yield await task
        finally:
            reader.cancel()

    async def _validate(self, batch: orderer_pb2.EnvelopeBatch) -> tuple[list[Verdict], list[bytes]]:
        verdicts: list[Verdict] = []
        accepted: list[bytes] = []
        for index, envelope in enumerate(batch.envelopes):
            data = envelope.SerializeToString()
            verdict = self._validator.check(envelope, len(data))
            verdicts.append(verdict)
            if verdict.accepted:
                accepted.append(data)
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)
        return verdicts, accepted

    async def _finish(self, verdicts: list[Verdict], accepted: list[bytes]) -> orderer_pb2.BroadcastResponse:
        if accepted:
            started = time.perf_counter()
            refusal = await self._submit(accepted)
            self._submit_seconds.observe(time.perf_counter() - started)
            if refusal is not None:
                verdicts = [refusal if verdict.accepted else verdict for verdict in verdicts]
        response = orderer_pb2.BroadcastResponse()
        for verdict in verdicts:
            response.results.add(status=verdict.status, info=verdict.info)
        for status, count in Counter(verdict.status for verdict in verdicts).items():
            self._envelopes_total.labels(orderer_pb2.BroadcastStatus.Name(status)).inc(count)
        return response

    async def _submit(self, envelopes: list[bytes]) -> Verdict | None:
        """None when the consenter took the envelopes, else the verdict that replaces their SUCCESS."""
        try:
            await self._consenter.submit(envelopes)
        except ServiceUnavailable as exc:
            return Verdict(SERVICE_UNAVAILABLE, str(exc))
        except Exception:
            log_event(logger, "consenter failed to accept a batch", level=logging.ERROR, exc_info=True,
                      envelopes=len(envelopes))
            return Verdict(SERVICE_UNAVAILABLE, "the orderer failed to accept the envelopes; retry later")
        return None


async def _refuse(context: grpc.aio.ServicerContext, size: int, exc: Exception) -> orderer_pb2.BroadcastResponse:
    await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                        f"broadcast message of {size} bytes is not a valid EnvelopeBatch ({exc})")
    raise AssertionError("abort returns only by raising")
