"""The link-fault layer on real TCP connections: what each fault does to the bytes, the table's validation, and
switching it through the operations endpoint. Bounds are lower bounds a fault guarantees (a chunk cannot arrive
before its release time), never performance limits."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from gridledger.common import clock, linkfaults, msp
from gridledger.common.linkfaults import LinkFault, LinkFaultError, LinkFaultLayer, LinkTable
from gridledger.common.metrics import NodeRegistry
from gridledger.common.nodeconfig import NodeConfig
from gridledger.common.operations import OperationsServer


async def _echo_server() -> tuple[asyncio.Server, str]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    return server, f"127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _round_trip(address: str, payload: bytes) -> tuple[bytes, float]:
    host, _, port = address.rpartition(":")
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(payload)
    await writer.drain()
    received = await asyncio.wait_for(reader.readexactly(len(payload)), 20)
    writer.close()
    return received, time.monotonic() - started


def _run_with_layer(tmp_path: Path, scenario) -> object:
    async def main() -> object:
        server, target = await _echo_server()
        layer = LinkFaultLayer(tmp_path / linkfaults.TABLE_FILE)
        try:
            return await scenario(layer, target)
        finally:
            server.close()

    return asyncio.run(main())


def test_clear_link_forwards_bytes_unchanged(tmp_path: Path) -> None:
    async def scenario(layer: LinkFaultLayer, target: str):
        return await _round_trip(layer.route(target), bytes(range(256)) * 1000)

    received, _ = _run_with_layer(tmp_path, scenario)
    assert received == bytes(range(256)) * 1000


def test_delay_and_bandwidth_hold_bytes_back(tmp_path: Path) -> None:
    async def scenario(layer: LinkFaultLayer, target: str):
        forwarder = layer.route(target)
        layer.apply(LinkTable(links={target: LinkFault(delay_ms=150)}))
        _, delayed = await _round_trip(forwarder, b"x")
        layer.apply(LinkTable(links={target: LinkFault(bandwidth_kbps=400)}))
        _, capped = await _round_trip(forwarder, b"y" * 25_000)  # 200 kbit each way at 400 kbit/s
        return delayed, capped

    delayed, capped = _run_with_layer(tmp_path, scenario)
    assert delayed >= 0.3  # 150 ms each way
    assert capped >= 0.5


def test_blocked_link_cuts_open_connections_and_refuses_new_ones(tmp_path: Path) -> None:
    async def scenario(layer: LinkFaultLayer, target: str):
        forwarder = layer.route(target)
        host, _, port = forwarder.rpartition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"before")
        assert await reader.readexactly(6) == b"before"
        layer.apply(LinkTable(links={target: LinkFault(blocked=True)}))
        cut = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        reader, writer = await asyncio.open_connection(host, int(port))
        refused = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        layer.apply(LinkTable())
        healed, _ = await _round_trip(forwarder, b"after")
        return cut, refused, healed

    cut, refused, healed = _run_with_layer(tmp_path, scenario)
    assert (cut, refused, healed) == (b"", b"", b"after")


def test_table_survives_a_restart_and_bad_tables_change_nothing(tmp_path: Path) -> None:
    state = tmp_path / linkfaults.TABLE_FILE
    table = LinkTable(links={"127.0.0.1:7050": LinkFault(blocked=True)})

    async def apply() -> None:
        LinkFaultLayer(state).apply(table)

    asyncio.run(apply())
    assert LinkFaultLayer(state).table == table
    for bad, words in [('{"links": {"127.0.0.1:7050": {"loss": 1.5}}}', "loss"),
                       ('{"links": {"no port": {}}}', "links"),
                       ('{"links": {"127.0.0.1:1": {"delay": 5}}}', "Extra inputs"),
                       ("not json", "body")]:
        with pytest.raises(LinkFaultError, match=words):
            LinkTable.parse(bad)
    assert LinkFaultLayer(state).table == table


def test_route_is_unchanged_while_the_layer_is_off() -> None:
    assert linkfaults.route("127.0.0.1:7050") == ("127.0.0.1:7050", [])


def test_operations_endpoint_switches_the_table_only_when_enabled(tmp_path: Path) -> None:
    import urllib.error
    import urllib.request

    def call(port: int, method: str, body: bytes | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/faults/links", data=body, method=method)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    async def main() -> list[tuple[int, dict]]:
        layer = LinkFaultLayer(tmp_path / linkfaults.TABLE_FILE)
        enabled = OperationsServer("127.0.0.1", 0, NodeRegistry().registry, lambda: {}, layer)
        disabled = OperationsServer("127.0.0.1", 0, NodeRegistry().registry, lambda: {})
        on, off = await enabled.start(), await disabled.start()
        try:
            table = json.dumps({"links": {"127.0.0.1:9": {"delay_ms": 300, "jitter_ms": 50}}}).encode()
            return [await asyncio.to_thread(call, *args) for args in [
                (on, "PUT", table), (on, "GET"), (on, "PUT", b'{"links": {"127.0.0.1:9": {"loss": -1}}}'),
                (on, "GET"), (on, "POST", table), (off, "PUT", table)]]
        finally:
            await enabled.stop()
            await disabled.stop()

    put, got, bad, unchanged, post, off = asyncio.run(main())
    assert put[0] == 200 and put[1]["links"]["127.0.0.1:9"]["delay_ms"] == 300
    assert got == put
    assert bad[0] == 422 and "loss" in bad[1]["detail"]
    assert unchanged == put
    assert post[0] == 405
    assert off[0] == 404 and "fault_injection" in off[1]["detail"]


def test_clock_skew_needs_fault_injection_and_moves_certificate_checks(tmp_path: Path) -> None:
    fields = dict(name="p", msp_id="Org1MSP", role="peer", crypto_dir=tmp_path, genesis_block=tmp_path / "g",
                  data_dir=tmp_path, port=1, trusted_orgs=["Org1MSP"])
    with pytest.raises(ValueError, match="fault_injection"):
        NodeConfig(**fields, clock_offset_s=600)
    assert NodeConfig(**fields, clock_offset_s=600, fault_injection=True).clock_offset_s == 600
    ca = msp.new_signing_ca("Org1MSP")
    pair = msp.issue_identity(ca, "user1", "client")
    identity = msp.SigningIdentity.from_pem("Org1MSP", pair.cert_pem, pair.key_pem).serialized()
    checker = msp.MSP([msp.Organization("Org1MSP", ca.cert_pem)])
    checker.validate(identity)
    try:
        clock.set_offset(-3600)  # an hour behind: the five minutes of backdating no longer cover it
        with pytest.raises(msp.IdentityError, match="not valid before"):
            checker.validate(identity)
    finally:
        clock.set_offset(0)


def test_a_server_that_goes_away_is_seen_gone_by_the_client(tmp_path: Path) -> None:
    """Found by the first chaos run: the forwarder kept the client's side open after the server's closed, so a
    peer kept broadcasting into a killed orderer until its keepalive gave up (20 s without a block)."""
    async def main() -> bytes:
        async def close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(1)
            writer.transport.abort()

        server = await asyncio.start_server(close_at_once, "127.0.0.1", 0)
        target = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
        try:
            host, _, port = LinkFaultLayer(tmp_path / linkfaults.TABLE_FILE).route(target).rpartition(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(b"x")
            try:
                return await asyncio.wait_for(reader.read(), 5)
            except ConnectionResetError:
                return b""
            finally:
                writer.close()
        finally:
            server.close()

    assert asyncio.run(main()) == b""
