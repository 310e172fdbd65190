"""The gateway's batched path from the client side: one long-lived Transact stream carries many endorse, submit,
evaluate and commit-status requests per message, and replies are matched to callers by request id (they arrive in
completion order). This is what makes many concurrent submits cheap (docs/design.md, "Gateway").

The stream carries signed messages, so one stream serves every identity that shares a connection to the peer.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import grpc

from gridledger.sdk.errors import GatewayStatusError, status_error
from gridledger.v1 import peer_pb2, peer_pb2_grpc

_CODES = {code.value[0]: code for code in grpc.StatusCode}
_STAGES = {"evaluate": "evaluate", "endorse": "endorse", "submit": "submit", "commit_status": "commit"}


class GatewayStream:
    def __init__(self, stub: peer_pb2_grpc.GatewayStub, max_batch: int = 500) -> None:
        self._stub = stub
        self._max_batch = max_batch
        self._ids = itertools.count(1)
        self._queue: asyncio.Queue[peer_pb2.GatewayRequest] = asyncio.Queue()
        self._waiting: dict[int, tuple[str, asyncio.Future[peer_pb2.GatewayReply]]] = {}
        self._runner: asyncio.Task | None = None

    async def _requests(self) -> AsyncIterator[peer_pb2.GatewayRequestBatch]:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            yield peer_pb2.GatewayRequestBatch(requests=batch)

    async def _run(self) -> None:
        code, message = grpc.StatusCode.UNAVAILABLE, "gateway closed the stream"
        try:
            async for replies in self._stub.Transact(self._requests()):
                for reply in replies.replies:
                    entry = self._waiting.pop(reply.request_id, None)
                    if entry is not None and not entry[1].done():
                        entry[1].set_result(reply)
        except grpc.aio.AioRpcError as exc:
            code, message = exc.code(), exc.details() or ""
        # Requests still queued were never sent and their callers are told so now: a later stream must not send
        # them behind the callers' backs (a caller may already have retried with a fresh transaction).
        while not self._queue.empty():
            self._queue.get_nowait()
        waiting, self._waiting = self._waiting, {}
        for kind, future in waiting.values():
            if not future.done():
                future.set_exception(status_error(code, message, _STAGES.get(kind, "")))

    async def call(self, **kind) -> peer_pb2.GatewayReply:
        """Send one request (e.g. endorse=EndorseRequest(...)); return its reply or raise a GatewayStatusError."""
        request = peer_pb2.GatewayRequest(request_id=next(self._ids), **kind)
        name = request.WhichOneof("kind") or ""
        future: asyncio.Future[peer_pb2.GatewayReply] = asyncio.get_running_loop().create_future()
        self._waiting[request.request_id] = (name, future)
        try:
            if self._runner is None or self._runner.done():
                self._runner = asyncio.create_task(self._run())
            await self._queue.put(request)
            reply = await future
        finally:
            self._waiting.pop(request.request_id, None)
        if reply.WhichOneof("kind") == "error":
            raise status_error(_CODES.get(reply.error.grpc_code, grpc.StatusCode.UNKNOWN), reply.error.message,
                               _STAGES.get(name, ""))
        return reply

    async def close(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)


# The name this error had before the SDK's typed errors; kept for callers that catch it.
GatewayCallError = GatewayStatusError
