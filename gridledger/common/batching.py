"""Coalescing many concurrent requests into few stream messages (docs/design.md, "Gateway").

A per-call gRPC round trip costs far more CPU in Python than the work it carries, so callers put single items in
a queue and one sender task ships whatever has accumulated as one message on a long-lived bidirectional stream.
Replies come back in request order, one reply batch per request batch, and resolve the callers' futures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Generic, TypeVar

import grpc

Item = TypeVar("Item")
Reply = TypeVar("Reply")
log = logging.getLogger(__name__)


class StreamUnavailable(Exception):
    """The stream broke or could not be opened; the caller may retry elsewhere."""


class BatchingStream(Generic[Item, Reply]):
    """Sends items in batches over one bidirectional stream and pairs each reply with its item.

    open_stream(requests) -> call: starts the RPC with an async iterator of request messages.
    make_request(items) -> request message; split_reply(reply message) -> one reply per item, in order.
    """

    def __init__(self, open_stream: Callable[[AsyncIterator], grpc.aio.StreamStreamCall],
                 make_request: Callable[[Sequence[Item]], object],
                 split_reply: Callable[[object], Sequence[Reply]], max_batch: int = 500) -> None:
        self._open_stream = open_stream
        self._make_request = make_request
        self._split_reply = split_reply
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Reply]]] = asyncio.Queue()
        self._runner: asyncio.Task | None = None

    async def call(self, item: Item) -> Reply:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    async def _next_batch(self) -> list[tuple[Item, asyncio.Future[Reply]]]:
        batch = [await self._queue.get()]
        while len(batch) < self._max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        """One stream's life: send batches, match replies in order; on failure fail every outstanding caller."""
        in_flight: asyncio.Queue[list[asyncio.Future[Reply]]] = asyncio.Queue()
        dead = asyncio.Event()

        async def requests() -> AsyncIterator:
            while True:
                batch = await self._next_batch()
                if dead.is_set():
                    # gRPC may keep pulling from this generator after the call failed: never swallow items.
                    _fail([future for _, future in batch], StreamUnavailable("stream closed"))
                    return
                await in_flight.put([future for _, future in batch])
                yield self._make_request([item for item, _ in batch])

        call = None
        try:
            call = self._open_stream(requests())
            async for reply in call:
                futures = await in_flight.get()
                replies = self._split_reply(reply)
                if len(replies) != len(futures):
                    raise StreamUnavailable(f"stream answered {len(replies)} items for a batch of {len(futures)}")
                for future, item_reply in zip(futures, replies, strict=True):
                    if not future.done():
                        future.set_result(item_reply)
            raise StreamUnavailable("stream closed by the server")
        except Exception as exc:  # any failure (RPC error, closed channel) must reach every waiting caller
            if isinstance(exc, StreamUnavailable):
                error = exc
            elif isinstance(exc, grpc.aio.AioRpcError):
                error = StreamUnavailable(f"{exc.code().name}: {exc.details()}")
            else:
                error = StreamUnavailable(f"{type(exc).__name__}: {exc}")
            log.warning("batching stream failed: %s", error)
            waiting = [f for batch in _drain(in_flight) for f in batch]
            _fail(waiting + [future for _, future in _drain(self._queue)], error)
        finally:
            dead.set()
            if call is not None:
                call.cancel()


def _drain(queue: asyncio.Queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


def _fail(futures: list[asyncio.Future], error: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(error)
