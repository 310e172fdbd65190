"""The operations endpoint and the node registry: right answers, 4xx for bad requests, 503 for a stuck node."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from gridledger.common import operations
from gridledger.common.metrics import NodeRegistry
from gridledger.common.operations import OperationsServer

Reply = tuple[int, dict[str, str], bytes]


async def _exchange(port: int, request: bytes) -> Reply:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    writer.write_eof()  # so a truncated request is seen as truncated at once, not after the read timeout
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def _registry() -> NodeRegistry:
    node = NodeRegistry()
    node.counter("x_envelopes", "Things", ("status",)).labels("SUCCESS").inc(3)
    node.gauge("x_height", "Height", function=lambda: 12)
    node.counter_function("x_blocks_total", "Blocks", lambda: 4)
    node.histogram("x_stage_duration_seconds", "A stage").observe(0.003)
    return node


def _serve(health, requests: list[bytes]) -> list[Reply]:
    async def main() -> list[Reply]:
        server = OperationsServer("127.0.0.1", 0, _registry().registry, health)
        port = await server.start()
        try:
            return [await _exchange(port, request) for request in requests]
        finally:
            await server.stop()

    return asyncio.run(main())


def test_routes_and_errors() -> None:
    replies = _serve(lambda: {"status": "ok", "height": 7}, [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz?verbose=1 HTTP/1.0\r\n\r\n",
        b"HEAD /healthz HTTP/1.0\r\n\r\n",
        b"GET /metrics HTTP/1.0\r\n\r\n",
        b"GET /nope HTTP/1.0\r\n\r\n",
        b"POST /healthz HTTP/1.0\r\n\r\n",
        b"complete nonsense\r\n\r\n",
        b"\x00\xff\xfe" * 5000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.0\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
        b"GET /healthz HTT",  # cut short, then EOF
        b"GET /healthz HTTP/1.0\r\n\r\n",  # still serving after all of that
    ])
    statuses = [status for status, _, _ in replies]
    assert statuses[:6] == [200, 200, 200, 200, 404, 405]
    assert all(400 <= status < 500 for status in statuses[6:10]) and statuses[10] == 200
    assert json.loads(replies[0][2]) == {"status": "ok", "height": 7}
    assert replies[0][1]["Content-Type"] == "application/json"
    assert replies[2][2] == b""
    families = {family.name: family for family in text_string_to_metric_families(replies[3][2].decode())}
    assert families["x_envelopes"].samples[0].value == 3 and families["x_height"].samples[0].value == 12
    assert families["x_blocks"].type == "counter" and families["x_blocks"].samples[0].value == 4
    count = next(s for s in families["x_stage_duration_seconds"].samples if s.name.endswith("_count"))
    assert count.value == 1
    problem = json.loads(replies[4][2])
    assert problem["status"] == 404 and "/healthz" in problem["detail"]
    assert replies[5][1]["Allow"] == "GET, HEAD"


def test_a_failing_or_stuck_node_is_not_healthy(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> dict[str, object]:
        raise RuntimeError("boom")

    assert [status for status, _, _ in _serve(broken, [b"GET /healthz HTTP/1.0\r\n\r\n"])] == [500]

    monkeypatch.setattr(operations, "HEALTH_TIMEOUT_S", 0.2)

    async def main() -> tuple[Reply, Reply]:
        server = OperationsServer("127.0.0.1", 0, NodeRegistry().registry, lambda: {"status": "ok"})
        port = await server.start()
        try:
            # The request runs on another loop in a thread while this loop is blocked, as a stuck node's would be.
            pending = asyncio.get_running_loop().run_in_executor(
                None, lambda: asyncio.run(_exchange(port, b"GET /healthz HTTP/1.0\r\n\r\n")))
            time.sleep(0.6)
            stuck = await pending
            return stuck, await _exchange(port, b"GET /metrics HTTP/1.0\r\n\r\n")
        finally:
            await server.stop()

    stuck, metrics = asyncio.run(main())
    assert stuck[0] == 503 and metrics[0] == 200


def test_registry_names_follow_prometheus_conventions() -> None:
    node = NodeRegistry(process=True)
    node.counter("x_envelopes", "Things", ("status",)).labels('BAD "quoted"\n').inc(2)
    text = generate_latest(node.registry).decode()
    assert 'x_envelopes_total{status="BAD \\"quoted\\"\\n"} 2.0' in text.splitlines()
    assert "process_cpu_seconds_total" in text and "_created" not in text
    with pytest.raises(ValueError):
        node.counter("x_envelopes", "again")
