"""The operations endpoint every node serves: /metrics (prometheus-client's WSGI app) and /healthz (JSON), read by
`network up`, container healthchecks, the bench's node metrics, the REST dashboard and Prometheus.

The HTTP is the standard library's threading WSGI server, in a daemon thread: a scrape then never waits behind
consensus or commit work on the node's event loop, and a node needs no web framework. /healthz is the one answer
computed on the loop, where the consensus state it reports is changed; a loop that cannot answer within
HEALTH_TIMEOUT_S is reported as 503, which is what a healthcheck should see. Malformed requests are answered 4xx by
the server itself (http.server bounds line length and header count); unknown paths and methods by `_problem`.

A node whose config turns fault injection on also serves /faults/links (GET the link table, PUT a new one; see
common/linkfaults.py), which a chaos run uses to cut and shape the node's links; elsewhere that path is 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socketserver
import threading
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from prometheus_client import CollectorRegistry, make_wsgi_app

from gridledger.common.linkfaults import LinkFaultError, LinkFaultLayer, LinkTable

logger = logging.getLogger("gridledger.operations")

HEALTH_TIMEOUT_S = 2.0
REQUEST_TIMEOUT_S = 5.0  # a client that sends nothing for this long is dropped, so it cannot hold a thread
POLL_S = 0.1  # how often the serving thread looks for a stop request; bounds how long stop() takes
MAX_LINK_TABLE_BYTES = 1024 * 1024
LINKS_PATH = "/faults/links"

Health = Callable[[], Mapping[str, object]]
StartResponse = Callable[..., object]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def server_bind(self) -> None:
        """Bind without http.server's reverse DNS lookup of the host (slow or hanging in a container without
        DNS); the WSGI environment only needs the name the node was configured with."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]
        self.setup_environ()


class _Handler(WSGIRequestHandler):
    timeout = REQUEST_TIMEOUT_S
    # Errors found before the request line's version is read get a status line too (HTTP/0.9 would send none).
    default_request_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Scrapes every few seconds would drown the node's log; errors still reach it through the server."""


def _problem(start_response: StartResponse, status: HTTPStatus, detail: str,
             headers: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
    """An RFC 7807 problem body, the error format the REST service answers with too (services/rest/problems.py)."""
    body = (json.dumps({"title": status.phrase, "status": status.value, "detail": detail}) + "\n").encode()
    start_response(f"{status.value} {status.phrase}", [("Content-Type", "application/problem+json"), *headers])
    return [body]


class OperationsServer:
    """Serves one node's registry on /metrics and `health()` (called on the node's loop) on /healthz."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, health: Health,
                 link_faults: LinkFaultLayer | None = None) -> None:
        self._address = (host, port)
        self._metrics = make_wsgi_app(registry)
        self._health = health
        self._link_faults = link_faults
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: _Server | None = None

    async def start(self) -> int:
        """Listen (OSError when the port is taken); returns the bound port (useful when `port` is 0)."""
        self._loop = asyncio.get_running_loop()
        server = _Server(self._address, _Handler)
        server.set_app(self._app)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_S}, name="operations",
                         daemon=True).start()
        self._server = server
        return server.server_address[1]

    async def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await asyncio.to_thread(server.shutdown)
            server.server_close()

    def _app(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if path == LINKS_PATH:
            return self._links(environ, method, start_response)
        if path not in ("/healthz", "/metrics"):
            return _problem(start_response, HTTPStatus.NOT_FOUND,
                            f"no such endpoint {path[:200]!r}; available: /healthz, /metrics")
        if method not in ("GET", "HEAD"):
            return _problem(start_response, HTTPStatus.METHOD_NOT_ALLOWED,
                            f"method {method[:20]!r} is not allowed; use GET", (("Allow", "GET, HEAD"),))
        if path == "/metrics":
            body = self._metrics({**environ, "REQUEST_METHOD": "GET"}, start_response)
        else:
            body = self._healthz(start_response)
        return [] if method == "HEAD" else body

    def _on_loop(self, start_response: StartResponse, path: str,
                 answer: Callable[[], Mapping[str, object]]) -> list[bytes]:
        """`answer()` computed on the node's loop, as JSON; 503 if the loop is too busy to answer in time."""
        async def on_loop() -> Mapping[str, object]:
            return answer()

        assert self._loop is not None
        try:
            future = asyncio.run_coroutine_threadsafe(on_loop(), self._loop)
            status = future.result(HEALTH_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            return _problem(start_response, HTTPStatus.SERVICE_UNAVAILABLE,
                            f"the node did not answer within {HEALTH_TIMEOUT_S:g} s")
        except Exception:
            logger.exception("operations request %s failed", path)
            return _problem(start_response, HTTPStatus.INTERNAL_SERVER_ERROR, f"{path} failed; see the node log")
        start_response("200 OK", [("Content-Type", "application/json")])
        return [(json.dumps(status) + "\n").encode()]

    def _healthz(self, start_response: StartResponse) -> list[bytes]:
        return self._on_loop(start_response, "/healthz", self._health)

    def _links(self, environ: dict, method: str, start_response: StartResponse) -> list[bytes]:
        """GET: the link table; PUT: replace it with the body's, validated whole before anything changes."""
        layer = self._link_faults
        if layer is None:
            return _problem(start_response, HTTPStatus.NOT_FOUND,
                            f"{LINKS_PATH} is off: this node's config does not set fault_injection: true")
        if method == "GET":
            return self._on_loop(start_response, LINKS_PATH, layer.describe)
        if method != "PUT":
            return _problem(start_response, HTTPStatus.METHOD_NOT_ALLOWED,
                            f"method {method[:20]!r} is not allowed; use GET or PUT", (("Allow", "GET, PUT"),))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_LINK_TABLE_BYTES:
            return _problem(start_response, HTTPStatus.BAD_REQUEST,
                            f"send a link table as JSON with a Content-Length of 1..{MAX_LINK_TABLE_BYTES} bytes")
        try:
            table = LinkTable.parse(environ["wsgi.input"].read(length))
        except LinkFaultError as exc:
            return _problem(start_response, HTTPStatus.UNPROCESSABLE_ENTITY, str(exc))

        def apply() -> Mapping[str, object]:
            layer.apply(table)
            return layer.describe()

        return self._on_loop(start_response, LINKS_PATH, apply)
