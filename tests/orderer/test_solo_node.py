"""A solo orderer as a real process (`python -m gridledger.orderer`), over mutual TLS on loopback: broadcast,
deliver, rejections, operations endpoints."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.common import hashing, msp
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.v1 import block_pb2, orderer_pb2, orderer_pb2_grpc, peer_pb2
from tests.orderer import support
from tests.orderer.support import OrdererProcess

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def node(dev_crypto: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OrdererProcess,
                                                                                         block_pb2.Block]]:
    folder = tmp_path_factory.mktemp("solo-node")
    genesis = support.make_genesis(dev_crypto)
    process = OrdererProcess(support.write_node_config(folder, dev_crypto, genesis), folder / "orderer.log")
    try:
        process.start()
        yield process, genesis
        assert process.stop() == 0, process.log_text()
    finally:
        process.kill()


def verify_chain(blocks: list[block_pb2.Block], genesis: block_pb2.Block) -> None:
    """Numbers from 0, block 0 is the genesis, every later block is hash-linked and signed by the consenter."""
    verifier = BlockVerifier(ChannelContext.from_config(config_from_block(genesis)))
    assert blocks[0] == genesis
    for number, block in enumerate(blocks[1:], start=1):
        verifier.verify(block, number, hashing.header_hash(blocks[number - 1].header))


def tx_ids_in(blocks: list[block_pb2.Block]) -> Counter[str]:
    return Counter(support.tx_id_of(e) for block in blocks[1:] for e in block.data.envelopes)


def test_broadcast_batches_are_delivered_in_signed_hash_chained_blocks(
        node: tuple[OrdererProcess, block_pb2.Block], dev_crypto: Path) -> None:
    process, genesis = node
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    peer = support.identity(dev_crypto, "Org1MSP", "peer0-org1")
    sizes = [50, 400, 1200, 3000, 8000]  # 8000 + header is above preferred_max_bytes: a block of its own
    first = [[support.make_envelope(user, b"u" * sizes[(b + i) % 5]) for i in range(25)] for b in range(3)]
    first.append([support.make_envelope(user, b"tail %d" % i) for i in range(7)])
    second = [[support.make_envelope(peer, b"p" * 100) for _ in range(20)] for _ in range(2)]

    async def run() -> list[block_pb2.Block]:
        async with support.channel_to(process, support.tls(dev_crypto)) as user_channel, \
                support.channel_to(process, support.tls(dev_crypto, "Org1MSP", "peer0-org1")) as peer_channel:
            answers = await asyncio.gather(support.broadcast(user_channel, first),
                                           support.broadcast(peer_channel, second))
            for batches, responses in zip((first, second), answers, strict=True):
                assert [len(r.results) for r in responses] == [len(b) for b in batches]
                for response in responses:
                    assert {(r.status, r.info) for r in response.results} == {(orderer_pb2.SUCCESS, "")}
            acked = {support.tx_id_of(e.SerializeToString()) for batch in first + second for e in batch}
            return await support.blocks_until(user_channel, user, acked)

    blocks = asyncio.run(run())
    verify_chain(blocks, genesis)
    seen = tx_ids_in(blocks)
    acked = [support.tx_id_of(e.SerializeToString()) for batch in first + second for e in batch]
    assert all(seen[tx] == 1 for tx in acked), "every acknowledged envelope is ordered exactly once"
    for block in blocks[1:]:
        envelopes = block.data.envelopes
        assert 1 <= len(envelopes) <= support.MAX_MESSAGE_COUNT
        if len(envelopes) > 1:
            assert sum(map(len, envelopes)) <= support.PREFERRED_MAX_BYTES
    oversized = [block for block in blocks[1:] if any(len(e) > support.PREFERRED_MAX_BYTES
                                                      for e in block.data.envelopes)]
    sent_oversized = sum(e.ByteSize() > support.PREFERRED_MAX_BYTES for batch in first for e in batch)
    assert len(oversized) == sent_oversized == 15
    assert all(len(block.data.envelopes) == 1 for block in oversized)
    # Within one stream, envelopes keep the order in which they were sent.
    order = [support.tx_id_of(e) for block in blocks[1:] for e in block.data.envelopes]
    first_ids = [support.tx_id_of(e.SerializeToString()) for batch in first for e in batch]
    assert [tx for tx in order if tx in set(first_ids)] == first_ids


def test_bad_envelopes_get_precise_statuses_and_are_not_ordered(
        node: tuple[OrdererProcess, block_pb2.Block], dev_crypto: Path) -> None:
    process, genesis = node
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    rogue_pair = msp.issue_identity(msp.new_signing_ca("Org1MSP"), "mallory", "client")
    rogue = msp.SigningIdentity.from_pem("Org1MSP", rogue_pair.cert_pem, rogue_pair.key_pem)
    admin = support.identity(dev_crypto, "OrdererMSP", "admin")
    garbage = orderer_pb2.EnvelopeBatch()
    garbage.envelopes.add(payload=b"\x0a\x05garbage-bytes", signature=b"nope")
    cases = [
        (support.make_envelope(user, b"valid before"), orderer_pb2.SUCCESS, ""),
        (garbage.envelopes[0], orderer_pb2.BAD_REQUEST, "not a valid Payload"),
        (support.make_envelope(user, b"d", channel_id="elsewhere"), orderer_pb2.BAD_REQUEST,
         "channel 'elsewhere' is not served"),
        (support.make_envelope(user, b"d", signer=rogue), orderer_pb2.FORBIDDEN, "signature does not verify"),
        (support.make_envelope(rogue, b"d"), orderer_pb2.FORBIDDEN, "does not verify against the Org1MSP CA"),
        (support.make_envelope(user, b"x" * (support.ABSOLUTE_MAX_BYTES + 1)),
         orderer_pb2.REQUEST_ENTITY_TOO_LARGE, "absolute_max_bytes"),
        (support.make_envelope(admin, b"d"), orderer_pb2.FORBIDDEN, "Writers policy"),
        (support.make_envelope(user, b"valid after"), orderer_pb2.SUCCESS, ""),
    ]

    async def run() -> tuple[list[orderer_pb2.BroadcastResponse], list[block_pb2.Block]]:
        async with support.channel_to(process, support.tls(dev_crypto)) as channel:
            responses = await support.broadcast(channel, [[envelope for envelope, _, _ in cases]])
            valid = {support.tx_id_of(cases[0][0].SerializeToString()),
                     support.tx_id_of(cases[-1][0].SerializeToString())}
            return responses, await support.blocks_until(channel, user, valid)

    responses, blocks = asyncio.run(run())
    assert len(responses) == 1 and len(responses[0].results) == len(cases)
    for result, (_, status, info) in zip(responses[0].results, cases, strict=True):
        assert result.status == status, result
        assert info in result.info
    verify_chain(blocks, genesis)
    ordered = {e for block in blocks for e in block.data.envelopes}
    for envelope, status, _ in cases:
        assert (envelope.SerializeToString() in ordered) == (status == orderer_pb2.SUCCESS)


def test_deliver_statuses_bounds_and_waiting(node: tuple[OrdererProcess, block_pb2.Block], dev_crypto: Path) -> None:
    process, genesis = node
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    rogue_pair = msp.issue_identity(msp.new_signing_ca("Org1MSP"), "mallory", "client")
    rogue = msp.SigningIdentity.from_pem("Org1MSP", rogue_pair.cert_pem, rogue_pair.key_pem)

    async def run() -> None:
        async with support.channel_to(process, support.tls(dev_crypto)) as channel:
            stub = orderer_pb2_grpc.AtomicBroadcastStub(channel)
            raw = channel.unary_stream("/gridledger.v1.AtomicBroadcast/Deliver")
            call = raw(b"\xff\x00garbage", timeout=10)
            replies = [reply async for reply in call]
            assert len(replies) == 1
            assert peer_pb2.DeliverResponse.FromString(replies[0]).status == "BAD_REQUEST"
            info = dict(await call.trailing_metadata())["gridledger-info"]
            assert "not a valid Envelope" in info

            for request, status in ((support.seek_request(rogue), "FORBIDDEN"),
                                    (support.seek_request(user, channel_id="elsewhere"), "NOT_FOUND"),
                                    (support.seek_request(user, 4, 2), "BAD_REQUEST")):
                replies = [reply async for reply in stub.Deliver(request, timeout=10)]
                assert [r.status for r in replies] == [status]

            bounded = await support.deliver(channel, support.seek_request(user, 0, 2), timeout=10)
            assert [r.WhichOneof("kind") for r in bounded] == ["block", "block", "status"]
            assert bounded[0].block == genesis and bounded[1].block.header.number == 1
            assert bounded[2].status == "SUCCESS"

            # `newest`: only blocks written after the request; the stream waits for them.
            waiting = stub.Deliver(support.seek_request(user, newest=True), timeout=20)
            first_reply = asyncio.ensure_future(waiting.read())
            await asyncio.sleep(0.3)
            assert not first_reply.done()
            envelope = support.make_envelope(user, b"wake up")
            [response] = await support.broadcast(channel, [[envelope]])
            assert response.results[0].status == orderer_pb2.SUCCESS
            block = (await asyncio.wait_for(first_reply, 10)).block
            assert envelope.SerializeToString() in list(block.data.envelopes)
            waiting.cancel()

    asyncio.run(run())


def test_operations_health_and_metrics(node: tuple[OrdererProcess, block_pb2.Block], dev_crypto: Path) -> None:
    process, _ = node
    user = support.identity(dev_crypto, "Org1MSP", "user1")

    async def order_one() -> None:
        async with support.channel_to(process, support.tls(dev_crypto)) as channel:
            envelope = support.make_envelope(user, b"metrics")
            await support.broadcast(channel, [[envelope]])
            await support.blocks_until(channel, user, {support.tx_id_of(envelope.SerializeToString())})

    asyncio.run(order_one())
    base = f"http://127.0.0.1:{process.operations_port}"
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as reply:
        assert reply.status == 200
        health = json.loads(reply.read())
    assert health["status"] == "ok" and health["height"] >= 2
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as reply:
        assert reply.headers["Content-Type"].startswith("text/plain")
        metrics = dict(line.rsplit(" ", 1) for line in reply.read().decode().splitlines()
                       if line and not line.startswith("#"))
    assert float(metrics["gridledger_orderer_height"]) >= health["height"]
    assert float(metrics["gridledger_orderer_blocks_total"]) >= 1
    assert float(metrics['gridledger_orderer_broadcast_envelopes_total{status="SUCCESS"}']) >= 1
    assert 'gridledger_orderer_broadcast_envelopes_total{status="FORBIDDEN"}' in metrics
    events = process.events()
    written = [e for e in events if e.get("event") == "block written"]
    assert written and all(isinstance(e["block"], int) for e in written)
