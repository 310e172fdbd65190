"""The dashboard's HTTP side: the page (/dashboard), its script, style and plotly.js (from the plotly wheel, so
the page works without internet), the server-sent event stream of snapshots and one snapshot as JSON.

No token is asked: the page shows aggregates (heights, counts, health, slot results), not transactions, and the
service listens on loopback unless configured otherwise (docs/dashboard.md).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse

from gridledger.services.rest.dashboard import PATH
from gridledger.services.rest.dashboard.feed import DashboardFeed
from gridledger.services.rest.problems import Problem

STATIC = Path(__file__).resolve().parent / "static"
KEEP_ALIVE_S = 15.0  # a comment line this often, so proxies and browsers keep an idle stream open
ASSETS = {
    "dashboard.js": STATIC / "dashboard.js",
    "dashboard.css": STATIC / "dashboard.css",
    "plotly.min.js": Path(str(resources.files("plotly") / "package_data" / "plotly.min.js")),
}


def dashboard_router(feed: DashboardFeed) -> APIRouter:
    router = APIRouter(prefix=PATH, tags=["dashboard"])

    @router.get("", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @router.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        path = ASSETS.get(name)
        if path is None:
            raise Problem(404, "unknown-asset", "No such dashboard file", f"the dashboard has no file {name[:100]!r}")
        return FileResponse(path, headers={"Cache-Control": "max-age=3600"})

    @router.get("/state")
    async def state() -> JSONResponse:
        """The snapshot the event stream sends: heights, throughput, codes, nodes, consensus, market slots."""
        return JSONResponse(feed.snapshot())

    # Not in the OpenAPI document: an endless stream, not a JSON answer (clients generated from it would wait on it).
    @router.get("/events", include_in_schema=False)
    async def events() -> StreamingResponse:
        """Server-sent events: one `state` event now and after every change (at most four a second)."""
        return StreamingResponse(_stream(feed), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return router


async def _stream(feed: DashboardFeed) -> AsyncIterator[str]:
    queue = feed.subscribe()
    try:
        yield f"event: state\ndata: {json.dumps(feed.snapshot())}\n\n"
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), KEEP_ALIVE_S)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield f"event: state\ndata: {data}\n\n"
    finally:
        feed.unsubscribe(queue)
