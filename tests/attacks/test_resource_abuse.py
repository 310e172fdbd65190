"""Resource abuse (issue 15, item 4): oversized messages, many idle streams, slow REST clients and a flood of
proposals from one identity. While each abuse goes on another client (user2, its own connection) is served, each
limit answers as docs/reliability.md ("Resource limits") says, and the nodes are healthy afterwards.

The network is the attack matrix's (tests/attacks/hostile.py), whose nodes run with TEST_LIMITS; the slow-client
tests use a second REST process of the same organisation started with small timeouts and concurrency.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator

import grpc
import httpx
import pytest

from gridledger.common import txbuilder
from gridledger.common.grpcutil import channel_credentials
from gridledger.common.seek import seek_envelope
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2
from tests.attacks.hostile import CHANNEL, ORG, TEST_LIMITS, HostileNetwork
from tests.attacks.probes import bearer, broadcast, status_of
from tests.integration.network import free_ports

pytestmark = pytest.mark.integration
TIMEOUT_S = 30
TIGHT_REST = {"max_concurrency": 12, "header_timeout_s": 1.0, "body_timeout_s": 1.0}


async def served(net: HostileNetwork) -> None:
    """user2, on its own connection, commits a put and reads it back."""
    key = f"served/{os.urandom(4).hex()}"
    async with net.clients.connect(net.clients.first_peer(ORG), "user2") as client:
        result = await client.submit("kv", "put", key, "1", timeout=TIMEOUT_S)
        assert result.code == block_pb2.VALID
        assert await client.evaluate("kv", "get", key) == b"1"


def assert_healthy(net: HostileNetwork) -> None:
    statuses = net.local.wait_healthy(net.clients.network, timeout=TIMEOUT_S)
    assert all(status.healthy for status in statuses)


# ---------- oversized messages ----------

def test_oversized_messages_are_refused_and_others_served(hostile: HostileNetwork) -> None:
    user = hostile.attackers.user.identity
    big = "x" * (TEST_LIMITS.max_message_bytes + 1)

    async def scenario() -> tuple[str, str, int]:
        proposal = txbuilder.new_proposal(user, CHANNEL, "kv", "put", ["attack/big", big])
        async with hostile.channel(hostile.peer_address) as channel:
            evaluated = await status_of(peer_pb2_grpc.GatewayStub(channel).Evaluate(
                peer_pb2.EvaluateRequest(proposal=proposal.signed), timeout=TIMEOUT_S))
        async with hostile.channel(hostile.orderer_address) as channel:
            broadcasted = await broadcast(channel, transaction_pb2.Envelope(payload=big.encode()))
        # REST answers from Content-Length alone; sending the body too would race the answer with a reset.
        reader, writer = await _slow_client(hostile.rest_url, (
            f"POST /v1/chaincodes/kv/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(big) + 100}\r\n\r\n").encode())
        posted = int((await _answer(reader)).split(b" ", 2)[1])
        writer.close()
        await served(hostile)
        return evaluated, broadcasted, posted

    assert asyncio.run(scenario()) == ("RESOURCE_EXHAUSTED", "RESOURCE_EXHAUSTED", 413)
    assert_healthy(hostile)


# ---------- idle streams ----------

class IdleStream:
    """An open-ended DeliverFiltered stream that reads whatever arrives and otherwise sits there."""

    def __init__(self, gateway: peer_pb2_grpc.PeerDeliverStub, net: HostileNetwork) -> None:
        self.call = gateway.DeliverFiltered(seek_envelope(net.attackers.user.identity, CHANNEL, 0))
        self.newest = -1
        self.refused: grpc.StatusCode | None = None
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for response in self.call:
                self.newest = response.filtered_block.number
        except asyncio.CancelledError:  # what grpc raises in the reader once close() cancelled the call
            return
        except grpc.aio.AioRpcError as exc:
            self.refused = exc.code()

    @property
    def started(self) -> bool:
        return self.newest >= 0

    def close(self) -> None:
        self.call.cancel()


async def until(condition, what: str, state=lambda: "") -> None:
    for _ in range(TIMEOUT_S * 20):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting until {what} {state()}")


def tally(streams: list[IdleStream]) -> Counter:
    """How many streams started, wait, or were refused with which status."""
    return Counter("started" if s.started else s.refused.name if s.refused else "waiting" for s in streams)


def _attacker_connection(net: HostileNetwork) -> grpc.aio.Channel:
    """A connection of its own (a local subchannel pool: channels with equal options would share one)."""
    return grpc.aio.secure_channel(net.peer_address, channel_credentials(net.attackers.user.tls),
                                   options=[("grpc.use_local_subchannel_pool", 1)])


@pytest.mark.parametrize("streams", [300, pytest.param(1500, marks=pytest.mark.faults)])
def test_idle_streams_are_held_to_the_limit_and_others_are_served(hostile: HostileNetwork, streams: int) -> None:
    """`streams` idle streams, a full connection's worth on each of several connections, plus one connection asking
    for 5 more than it may have: no more than the limit start on it (the rest wait, or are refused UNAVAILABLE
    when they race the connection's settings), while every admitted stream is served a new block and another
    client commits."""
    cap = TEST_LIMITS.max_concurrent_streams

    async def scenario() -> None:
        connections = [_attacker_connection(hostile) for _ in range(streams // cap + 1)]
        try:
            idle = [IdleStream(peer_pb2_grpc.PeerDeliverStub(c), hostile) for c in connections[:-1] for _ in range(cap)]
            crowded = [IdleStream(peer_pb2_grpc.PeerDeliverStub(connections[-1]), hostile) for _ in range(cap + 5)]
            await until(lambda: all(s.started for s in idle) and sum(s.started for s in crowded) >= cap,
                        "every stream the limit admits started", lambda: (tally(idle), tally(crowded)))
            height = await _channel_height(hostile)
            await served(hostile)
            admitted = [s for s in crowded if s.started]
            await until(lambda: all(s.newest >= height for s in idle + admitted), "every stream saw the new block")
            assert len(admitted) == cap, "a connection had more streams open than max_concurrent_streams"
            assert {s.refused for s in crowded if not s.started} <= {None, grpc.StatusCode.UNAVAILABLE}
            assert not [s.refused for s in idle + admitted if s.refused]
            for stream in idle + crowded:
                stream.close()
            await asyncio.gather(*(s.task for s in idle + crowded))
        finally:
            for connection in connections:
                await connection.close()
        await served(hostile)

    asyncio.run(scenario())
    assert_healthy(hostile)


async def _channel_height(net: HostileNetwork) -> int:
    async with net.clients.connect(net.clients.first_peer(ORG)) as admin:
        return (await admin.channel_info(timeout=TIMEOUT_S)).height


# ---------- a flood of proposals from one identity ----------

# Calls at once from one identity: under the connection's stream limit, so that only the gateway's limit answers.
FLOOD = TEST_LIMITS.max_concurrent_streams - 10


def test_a_flood_from_one_identity_is_cut_at_its_limit_and_others_are_served(hostile: HostileNetwork) -> None:
    user = hostile.attackers.user.identity

    def evaluation() -> peer_pb2.EvaluateRequest:
        return peer_pb2.EvaluateRequest(proposal=txbuilder.new_proposal(user, CHANNEL, "kv", "get", ["a"]).signed)

    async def scenario() -> tuple[Counter, Counter, str]:
        async with hostile.channel(hostile.peer_address) as channel:
            gateway = peer_pb2_grpc.GatewayStub(channel)
            flood = asyncio.gather(*(status_of(gateway.Evaluate(evaluation(), timeout=TIMEOUT_S))
                                     for _ in range(FLOOD)))
            codes, _ = await asyncio.gather(flood, served(hostile))
            batch = peer_pb2.GatewayRequestBatch(requests=[
                peer_pb2.GatewayRequest(request_id=i, evaluate=evaluation()) for i in range(100)])
            stream = gateway.Transact(iter([batch]), timeout=TIMEOUT_S)
            streamed = Counter([grpc.StatusCode.RESOURCE_EXHAUSTED.value[0] == reply.error.grpc_code
                                for replies in [r async for r in stream] for reply in replies.replies])
            after = await status_of(gateway.Evaluate(evaluation(), timeout=TIMEOUT_S))
        return Counter(codes), streamed, after

    unary, streamed, after = asyncio.run(scenario())
    # How many unary calls overlap at the server depends on how fast it accepts them against how fast each is
    # answered, so the unary flood may or may not reach the limit; whatever it reaches is refused, nothing else.
    assert set(unary) <= {"OK", "RESOURCE_EXHAUSTED"} and unary["OK"] >= TEST_LIMITS.gateway_max_in_flight
    # A batch's requests all take their slot in one pass of the event loop, before any endorsement can return:
    # exactly the limit is served and the rest refused.
    assert streamed == Counter({False: TEST_LIMITS.gateway_max_in_flight,
                                True: 100 - TEST_LIMITS.gateway_max_in_flight})
    assert after == "OK"  # the identity's slots were all given back
    assert_healthy(hostile)


# ---------- slow clients on REST ----------

def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture(scope="module")
def tight_rest(hostile: HostileNetwork) -> Iterator[str]:
    """A second REST service of Org1MSP, over the same users and peer, with TIGHT_REST's limits."""
    port = free_ports(1)[0]
    data_dir = hostile.local.data_dir
    command = [sys.executable, "-m", "gridledger.services.rest", "--org", ORG, "--port", str(port),
               "--data-dir", str(data_dir), "--network", str(data_dir.parent / "network.yaml"),
               "--max-concurrency", str(TIGHT_REST["max_concurrency"]),
               "--header-timeout", str(TIGHT_REST["header_timeout_s"]),
               "--body-timeout", str(TIGHT_REST["body_timeout_s"])]
    url = f"http://127.0.0.1:{port}"
    with open(data_dir / "tight-rest.log", "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while _get(f"{url}/healthz") != 200:
            assert process.poll() is None and time.monotonic() < deadline, "the tight REST service did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=TIMEOUT_S)


async def _slow_client(url: str, sent: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that sends `sent` (less than a whole request) and then nothing."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(sent)
    await writer.drain()
    return reader, writer


async def _answer(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    return await asyncio.wait_for(reader.read(), TIMEOUT_S)


PARTIAL_HEADERS = b"GET /v1/chain HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def test_slow_headers_get_408_and_others_are_served_meanwhile(hostile: HostileNetwork, tight_rest: str) -> None:
    async def scenario() -> tuple[list[int], list[bytes]]:
        slow = [await _slow_client(tight_rest, PARTIAL_HEADERS) for _ in range(TIGHT_REST["max_concurrency"] // 2)]
        async with httpx.AsyncClient(base_url=tight_rest, timeout=TIMEOUT_S) as http:
            statuses = [(await http.get("/v1/chain", headers=bearer(hostile.rest_user_token))).status_code,
                        (await http.get("/healthz")).status_code]
        answers = [await _answer(reader) for reader, _ in slow]
        for _, writer in slow:
            writer.close()
        return statuses, answers

    statuses, answers = asyncio.run(scenario())
    assert statuses == [200, 200]
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers[:1]


def test_concurrency_limit_answers_503_and_the_header_deadline_frees_the_slots(tight_rest: str) -> None:
    async def health() -> int:
        async with httpx.AsyncClient(base_url=tight_rest, timeout=TIMEOUT_S) as http:  # a connection of its own
            return (await http.get("/healthz")).status_code

    async def scenario() -> tuple[int, int]:
        slow = [await _slow_client(tight_rest, PARTIAL_HEADERS) for _ in range(TIGHT_REST["max_concurrency"])]
        turned_away = await health()
        for reader, _ in slow:
            await _answer(reader)
        for _, writer in slow:
            writer.close()
        return turned_away, await health()

    assert asyncio.run(scenario()) == (503, 200)


def test_a_slow_body_gets_408_and_others_are_served_meanwhile(hostile: HostileNetwork, tight_rest: str) -> None:
    head = (f"POST /v1/chaincodes/kv/evaluate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {hostile.rest_admin_token}\r\nContent-Length: 100\r\n\r\n").encode()

    async def scenario() -> tuple[int, bytes]:
        reader, writer = await _slow_client(tight_rest, head + b'{"function": "get", ')
        async with httpx.AsyncClient(base_url=tight_rest, timeout=TIMEOUT_S) as http:
            other = await http.get("/v1/chain", headers=bearer(hostile.rest_admin_token))
        answer = await asyncio.wait_for(reader.readuntil(b"}"), TIMEOUT_S)
        writer.close()
        return other.status_code, answer

    status, answer = asyncio.run(scenario())
    assert status == 200
    assert answer.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in answer
