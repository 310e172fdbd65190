"""The operations endpoint every node serves: a tiny asyncio HTTP/1.0 responder for /healthz, /metrics and the
like, read by `network up`, container healthchecks and the bench's node metrics.

Only GET and HEAD of fixed paths are needed, so a full web framework would be dead weight in every node process;
this module answers one request per connection and closes it, bounds what it reads (line length, header count,
time), and turns every malformed request into a 4xx instead of an exception. It depends on nothing in the orderer,
so every node uses it (shared by peers and orderers).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger("gridledger.operations")

MAX_LINE = 8 * 1024
MAX_HEADERS = 100
READ_TIMEOUT_S = 5.0
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = field(default=())


def json_response(value: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, (json.dumps(value) + "\n").encode())


def _problem(status: int, detail: str) -> HttpResponse:
    """An RFC 7807 problem body, the error format the REST service answers with too (services/rest/problems.py)."""
    body = json.dumps({"title": _REASONS.get(status, "Error"), "status": status, "detail": detail}) + "\n"
    return HttpResponse(status, body.encode(), "application/problem+json")


Route = Callable[[], HttpResponse | Awaitable[HttpResponse]]


class _BadRequest(Exception):
    pass


class OperationsServer:
    """Serves `routes` (path -> function returning an HttpResponse, sync or async) on host:port."""

    def __init__(self, host: str, port: int, routes: Mapping[str, Route]) -> None:
        self._host = host
        self._port = port
        self._routes = dict(routes)
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        """Listen; returns the bound port (useful when `port` is 0)."""
        self._server = await asyncio.start_server(self._serve, self._host, self._port, limit=MAX_LINE)
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                method, path = await asyncio.wait_for(self._read_request(reader), READ_TIMEOUT_S)
                response = await self._respond(method, path)
            except (_BadRequest, ValueError, asyncio.IncompleteReadError) as exc:
                method, response = "GET", _problem(400, str(exc) or "malformed request")
            except TimeoutError:
                method, response = "GET", _problem(400, "request not received in time")
            writer.write(self._encode(response, head_only=method == "HEAD"))
            await writer.drain()
        except (ConnectionError, OSError):
            pass  # the client went away; nothing to answer
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
        line = await reader.readline()  # ValueError when longer than MAX_LINE
        if not line.endswith(b"\n"):
            raise _BadRequest("incomplete request line")
        parts = line.decode("latin-1").strip().split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise _BadRequest("request line must be 'METHOD /path HTTP/1.x'")
        for _ in range(MAX_HEADERS):
            header = await reader.readline()
            if header in (b"\r\n", b"\n", b""):
                return parts[0], parts[1]
        raise _BadRequest(f"more than {MAX_HEADERS} header lines")

    async def _respond(self, method: str, target: str) -> HttpResponse:
        path = target.split("?", 1)[0]
        route = self._routes.get(path)
        if route is None:
            return _problem(404, f"no such endpoint {path[:200]!r}; available: {', '.join(sorted(self._routes))}")
        if method not in ("GET", "HEAD"):
            response = _problem(405, f"method {method[:20]!r} is not allowed; use GET")
            return HttpResponse(response.status, response.body, response.content_type, (("Allow", "GET, HEAD"),))
        try:
            result = route()
            if inspect.isawaitable(result):
                result = await result
            return result
        except Exception:
            logger.exception("operations endpoint %s failed", path)
            return _problem(500, f"{path} failed; see the node log")

    @staticmethod
    def _encode(response: HttpResponse, head_only: bool) -> bytes:
        reason = _REASONS.get(response.status, "Unknown")
        lines = [f"HTTP/1.0 {response.status} {reason}", f"Content-Type: {response.content_type}",
                 f"Content-Length: {len(response.body)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in response.headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        return head if head_only else head + response.body
