"""The FastAPI application of an organisation's REST service, and how it is served.

Extension point: `create_app(config, extensions=[factory, ...])`, or `--extension module:function` on the command
line, mounts routers that a factory builds from the backend under /v1 (e.g. a DSM or dashboard API). They use
the same authentication (deps.require), error documents (problems.Problem) and SDK connection (backend). The energy
market's endpoints (market_routes.py), the DSM endpoints (dsm_routes.py) and the live dashboard (dashboard/, at
/dashboard) are built in.
"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable, Sequence
from contextlib import asynccontextmanager

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gridledger.common import logs
from gridledger.services.rest import dsm_routes, market_routes, problems
from gridledger.services.rest.backend import RestBackend
from gridledger.services.rest.config import RestConfig
from gridledger.services.rest.dashboard.feed import DashboardFeed
from gridledger.services.rest.dashboard.routes import dashboard_router
from gridledger.services.rest.limits import header_deadline_protocol
from gridledger.services.rest.routes import probes, router

RouterFactory = Callable[[RestBackend], APIRouter]
API_VERSION = "1"
# FastAPI's OpenTelemetry bridge asks the global providers (and through them os.environ) on every request even when
# nothing is exported: 3.5% of the service's CPU under load (py-spy, scripts/rest_vs_sdk.py). The service reports
# through its JSON logs; a deployment that wants spans wraps the app in its own instrumentation.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


class _TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds the limit of {limit} bytes")


class _TooSlow(HTTPException):
    def __init__(self, timeout_s: float) -> None:
        super().__init__(408, f"the request body did not arrive within {timeout_s:g} s of its headers")


class BodyLimit:
    """Refuses bodies over `max_bytes` (413: at once when Content-Length says so, otherwise while reading them) or
    not complete `timeout_s` after the headers (408), so a client cannot hold a request open by trickling its body.
    Once the body is complete, reads (the app waiting for a disconnect) pass through without a deadline."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float = 30.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await _send_problem(send, 413, "request-too-large", "Request too large",
                                f"the request body exceeds the limit of {self.max_bytes} bytes")
            return
        seen = 0
        complete = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s

        async def limited() -> Message:
            nonlocal seen, complete
            if complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0))
            except TimeoutError:
                raise _TooSlow(self.timeout_s) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited, send)


async def _send_problem(send: Send, status: int, kind: str, title: str, detail: str) -> None:
    body = json.dumps({"type": f"urn:gridledger:problem:{kind}", "title": title, "status": status,
                       "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", problems.PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def load_extension(spec: str) -> RouterFactory:
    """'package.module:function' -> the router factory it names."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"an extension is 'module:function', got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attribute)
    if not callable(factory):
        raise ValueError(f"extension {spec!r} is not callable")
    return factory


def create_app(config: RestConfig, *, backend: RestBackend | None = None,
               extensions: Sequence[RouterFactory] = ()) -> FastAPI:
    backend = backend or RestBackend(config)
    feed = DashboardFeed(backend)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await backend.start()
        await feed.start()
        try:
            yield
        finally:
            await feed.stop()
            await backend.stop()

    app = FastAPI(
        title=f"gridledger REST API ({config.msp_id})", version=API_VERSION, lifespan=lifespan, docs_url="/docs",
        redoc_url=None, telemetry=NO_TELEMETRY,
        description="Chaincode calls, offline signing, transactions and blocks of one organisation's users. "
                    "Authenticate with 'Authorization: Bearer TOKEN' (from `gridledger rest enroll`). Errors are "
                    "application/problem+json.")
    app.state.backend = backend
    problems.install(app)
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes, timeout_s=config.body_timeout_s)
    app.include_router(probes)
    app.include_router(router)
    app.include_router(market_routes.router)
    app.include_router(dsm_routes.router)
    app.include_router(dashboard_router(feed))
    for factory in [*extensions, *(load_extension(spec) for spec in config.extensions)]:
        app.include_router(factory(backend), prefix="/v1")
    return app


def serve(config: RestConfig, log_level: str = "INFO") -> None:
    """Run the service in this process until SIGTERM or SIGINT (JSON-lines logs on stderr, no access log)."""
    logs.configure(log_level)
    app = create_app(config)
    logs.log_event(problems.log, "rest service starting", org=config.msp_id, host=config.host, port=config.port)
    uvicorn.run(app, host=config.host, port=config.port, log_config=None, access_log=False, server_header=False,
                timeout_graceful_shutdown=5, limit_concurrency=config.max_concurrency,
                timeout_keep_alive=config.keep_alive_timeout_s, h11_max_incomplete_event_size=config.max_header_bytes,
                http=header_deadline_protocol(config.header_timeout_s))
