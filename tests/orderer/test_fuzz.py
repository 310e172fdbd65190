"""Random bytes at Broadcast and Deliver of a running orderer: only error statuses come back, nothing is ordered,
and the process keeps serving valid requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridledger.common import grpcutil
from gridledger.v1 import orderer_pb2, peer_pb2, transaction_pb2
from tests.orderer import support
from tests.orderer.support import OrdererProcess

pytestmark = pytest.mark.integration

BROADCAST = "/gridledger.v1.AtomicBroadcast/Broadcast"
DELIVER = "/gridledger.v1.AtomicBroadcast/Deliver"
FUZZ = settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ERRORS = {orderer_pb2.BAD_REQUEST, orderer_pb2.FORBIDDEN, orderer_pb2.REQUEST_ENTITY_TOO_LARGE}


@pytest.fixture(scope="module")
def orderer(dev_crypto: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OrdererProcess]:
    folder = tmp_path_factory.mktemp("fuzz")
    process = OrdererProcess(support.write_node_config(folder, dev_crypto, support.make_genesis(dev_crypto)),
                             folder / "orderer.log")
    try:
        process.start()
        yield process
        assert process.stop() == 0, process.log_text()
    finally:
        process.kill()


@pytest.fixture(scope="module")
def channel(orderer: OrdererProcess, dev_crypto: Path) -> Iterator[grpc.Channel]:
    with grpcutil.sync_channel(orderer.address, support.tls(dev_crypto)) as opened:
        yield opened


def _broadcast_raw(channel: grpc.Channel, messages: list[bytes]) -> list[orderer_pb2.BroadcastResponse] | None:
    """The responses, or None when the server ended the stream with INVALID_ARGUMENT."""
    call = channel.stream_stream(BROADCAST)
    try:
        return [orderer_pb2.BroadcastResponse.FromString(r) for r in call(iter(messages), timeout=15)]
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        assert "is not a valid EnvelopeBatch" in error.details()
        return None


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_broadcast_messages(channel: grpc.Channel, data: bytes) -> None:
    try:
        expected = len(orderer_pb2.EnvelopeBatch.FromString(data).envelopes)
    except Exception:
        expected = None
    responses = _broadcast_raw(channel, [data])
    if expected is None:
        assert responses is None
    else:
        assert responses is not None and len(responses) == 1 and len(responses[0].results) == expected
        assert all(result.status in ERRORS and result.info for result in responses[0].results)


@FUZZ
@given(envelopes=st.lists(st.one_of(
    st.builds(lambda p, s: transaction_pb2.Envelope(payload=p, signature=s), st.binary(max_size=500),
              st.binary(max_size=80)),
    st.builds(lambda h, d: transaction_pb2.Envelope(
        payload=transaction_pb2.Payload(header=h, data=d).SerializeToString(), signature=b"s" * 64),
        st.binary(min_size=1, max_size=500), st.binary(max_size=100)),
), min_size=1, max_size=6))
def test_random_envelopes_in_a_batch(channel: grpc.Channel, envelopes: list[transaction_pb2.Envelope]) -> None:
    batch = orderer_pb2.EnvelopeBatch(envelopes=envelopes).SerializeToString()
    responses = _broadcast_raw(channel, [batch, batch])
    assert responses is not None and len(responses) == 2
    for response in responses:
        assert len(response.results) == len(envelopes)
        assert all(result.status in ERRORS and result.info for result in response.results)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_random_deliver_requests(channel: grpc.Channel, data: bytes) -> None:
    call = channel.unary_stream(DELIVER)
    replies = [peer_pb2.DeliverResponse.FromString(r) for r in call(data, timeout=15)]
    assert len(replies) == 1
    assert replies[0].status in {"BAD_REQUEST", "FORBIDDEN", "NOT_FOUND"}


def test_still_serving_after_the_fuzzing(orderer: OrdererProcess, dev_crypto: Path) -> None:
    """Runs after the fuzz tests in this module: the same process orders and delivers, and ordered nothing else."""
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    envelope = support.make_envelope(user, b"after the storm")

    async def run() -> list:
        async with support.channel_to(orderer, support.tls(dev_crypto)) as ch:
            [response] = await support.broadcast(ch, [[envelope]])
            assert response.results[0].status == orderer_pb2.SUCCESS
            return await support.blocks_until(ch, user, {support.tx_id_of(envelope.SerializeToString())})

    blocks = asyncio.run(run())
    assert orderer.process is not None and orderer.process.poll() is None
    assert [list(block.data.envelopes) for block in blocks[1:]] == [[envelope.SerializeToString()]]
