"""The gateway's batched path from the client side: one long-lived Transact stream carries many endorse, submit,
evaluate and commit-status requests per message, and replies are matched to callers by request id (they arrive in
completion order). This is what makes many concurrent submits cheap (DESIGN.md, "Performance principles").
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import grpc

from gridledger.v1 import peer_pb2, peer_pb2_grpc


class GatewayCallError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code


_CODES = {code.value[0]: code for code in grpc.StatusCode}


class GatewayStream:
    def __init__(self, stub: peer_pb2_grpc.GatewayStub, max_batch: int = 500) -> None:
        self._stub = stub
        self._max_batch = max_batch
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[peer_pb2.GatewayRequest] = asyncio.Queue()
        self._waiting: dict[int, asyncio.Future[peer_pb2.GatewayReply]] = {}
        self._runner: asyncio.Task | None = None

    async def _requests(self) -> AsyncIterator[peer_pb2.GatewayRequestBatch]:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            yield peer_pb2.GatewayRequestBatch(requests=batch)

    async def _run(self) -> None:
        try:
            async for replies in self._stub.Transact(self._requests()):
                for reply in replies.replies:
                    future = self._waiting.pop(reply.request_id, None)
                    if future is not None and not future.done():
                        future.set_result(reply)
            error = GatewayCallError(grpc.StatusCode.UNAVAILABLE, "gateway closed the stream")
        except grpc.aio.AioRpcError as exc:
            error = GatewayCallError(exc.code(), exc.details() or "")
        waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            if not future.done():
                future.set_exception(error)

    async def call(self, **kind) -> peer_pb2.GatewayReply:
        """Send one request (e.g. endorse=EndorseRequest(...)); return its reply or raise GatewayCallError."""
        request = peer_pb2.GatewayRequest(request_id=next(self._ids), **kind)
        future: asyncio.Future[peer_pb2.GatewayReply] = asyncio.get_running_loop().create_future()
        self._waiting[request.request_id] = future
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        await self._queue.put(request)
        reply = await future
        if reply.WhichOneof("kind") == "error":
            raise GatewayCallError(_CODES.get(reply.error.grpc_code, grpc.StatusCode.UNKNOWN), reply.error.message)
        return reply

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)
