"""The operations HTTP/1.0 responder and the Prometheus registry: right answers, 4xx for bad requests, no crash."""

from __future__ import annotations

import asyncio
import json

import pytest

from gridledger.common.metrics import Registry
from gridledger.common.operations import HttpResponse, OperationsServer, json_response


async def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    writer.write_eof()  # so a truncated request is seen as truncated at once, not after the read timeout
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _run(requests: list[bytes]) -> list[tuple[int, dict[str, str], bytes]]:
    async def broken() -> HttpResponse:
        raise RuntimeError("boom")

    async def main() -> list[tuple[int, dict[str, str], bytes]]:
        server = OperationsServer("127.0.0.1", 0, {
            "/healthz": lambda: json_response({"status": "ok", "height": 7}),
            "/async": lambda: asyncio.sleep(0, result=HttpResponse(200, b"later", "text/plain")),
            "/broken": broken,
        })
        port = await server.start()
        try:
            results = [await _exchange(port, request) for request in requests]
            # Still serving after all of that.
            results.append(await _exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n"))
            return results
        finally:
            await server.stop()

    return asyncio.run(main())


def test_routes_and_errors() -> None:
    results = _run([
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz?verbose=1 HTTP/1.0\r\n\r\n",
        b"GET /async HTTP/1.0\r\n\r\n",
        b"HEAD /healthz HTTP/1.0\r\n\r\n",
        b"GET /nope HTTP/1.0\r\n\r\n",
        b"POST /healthz HTTP/1.0\r\n\r\n",
        b"GET /broken HTTP/1.0\r\n\r\n",
        b"complete nonsense\r\n\r\n",
        b"\x00\xff\xfe" * 5000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.0\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
        b"GET /healthz",  # no newline, then EOF
    ])
    statuses = [status for status, _, _ in results]
    assert statuses == [200, 200, 200, 200, 404, 405, 500, 400, 400, 400, 400, 200]
    _, headers, body = results[0]
    assert json.loads(body) == {"status": "ok", "height": 7}
    assert headers["Content-Type"] == "application/json" and headers["Content-Length"] == str(len(body))
    assert results[2][2] == b"later"
    assert results[3][2] == b"" and int(results[3][1]["Content-Length"]) > 0
    problem = json.loads(results[4][2])
    assert problem["status"] == 404 and "/healthz" in problem["detail"]
    assert results[5][1]["Allow"] == "GET, HEAD"


def test_registry_renders_prometheus_text() -> None:
    registry = Registry()
    counter = registry.counter("x_total", "Things", ("status",))
    counter.inc(status="SUCCESS")
    counter.inc(2, status='BAD "quoted"\n')
    registry.gauge("x_height", "Height", function=lambda: 12)
    registry.counter("x_blocks_total", "Blocks", function=lambda: 3)
    text = registry.render()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert "# TYPE x_total counter" in lines and "# TYPE x_height gauge" in lines
    assert 'x_total{status="SUCCESS"} 1' in lines
    assert 'x_total{status="BAD \\"quoted\\"\\n"} 2' in lines
    assert "x_height 12" in lines and "x_blocks_total 3" in lines
    assert counter.value(status="SUCCESS") == 1
    with pytest.raises(ValueError):
        counter.inc(-1, status="SUCCESS")
    with pytest.raises(ValueError):
        counter.inc(wrong="label")
    with pytest.raises(ValueError, match="already registered"):
        registry.gauge("x_height", "again")
