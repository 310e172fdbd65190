"""Random bytes on every peer and orderer gRPC method get INVALID_ARGUMENT (or a refusal status), never a crash."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridledger.common.grpcutil import sync_channel
from gridledger.common.material import load_member
from gridledger.v1 import peer_pb2
from tests.integration.network import ItNetwork, running_network

pytestmark = pytest.mark.integration

PEER_METHODS = [(f"/{service.full_name}/{method.name}", method.client_streaming, method.server_streaming)
                for service in peer_pb2.DESCRIPTOR.services_by_name.values() for method in service.methods]
ORDERER_METHODS = [(f"/gridledger.v1.AtomicBroadcast/{name}", streaming, True)
                   for name, streaming in (("Broadcast", True), ("Deliver", False))]
# Bytes that cannot be a protobuf message: a field with wire type 7 (reserved).
UNDECODABLE = b"\x0f\xff\xff"


@pytest.fixture(scope="module")
def dev_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ItNetwork, grpc.Channel, grpc.Channel]]:
    with running_network(tmp_path_factory.mktemp("malformed"), orgs=1, peers_per_org=1) as net:
        crypto = net.local.crypto_dir
        tls = load_member(crypto, "Org1MSP", "user1", ["OrdererMSP", "Org1MSP"]).tls
        definition = net.clients.network
        peer = sync_channel(f"127.0.0.1:{definition.peer_orgs[0].peers[0].port}", tls)
        orderer = sync_channel(f"127.0.0.1:{definition.orderer_nodes()[0][1].port}", tls)
        yield net, peer, orderer
        peer.close()
        orderer.close()


def _raw(data: bytes) -> bytes:
    return data


def _call(channel: grpc.Channel, method: str, client_streaming: bool, server_streaming: bool, data: bytes):
    """Send raw bytes; return the final status code (or OK with the responses)."""
    kinds = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
             (True, False): channel.stream_unary, (True, True): channel.stream_stream}
    stub = kinds[(client_streaming, server_streaming)](method, request_serializer=_raw,
                                                      response_deserializer=_raw)
    request = iter([data]) if client_streaming else data
    try:
        result = stub(request, timeout=5)
        if server_streaming:
            result = list(result)
    except grpc.RpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize(("method", "client_streaming", "server_streaming"), PEER_METHODS + ORDERER_METHODS)
def test_undecodable_bytes_are_invalid_argument(dev_network, method: str, client_streaming: bool,
                                                server_streaming: bool) -> None:
    _, peer, orderer = dev_network
    channel = orderer if "AtomicBroadcast" in method else peer
    code = _call(channel, method, client_streaming, server_streaming, UNDECODABLE)
    if method.endswith("/Deliver") or method.endswith("/DeliverFiltered"):
        # Deliver answers in-band with a BAD_REQUEST status message (as Fabric does) or INVALID_ARGUMENT.
        assert code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT)
    else:
        assert code == grpc.StatusCode.INVALID_ARGUMENT


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300), which=st.integers(min_value=0, max_value=len(PEER_METHODS + ORDERER_METHODS) - 1))
def test_random_bytes_never_crash_a_node(dev_network, data: bytes, which: int) -> None:
    net, peer, orderer = dev_network
    method, client_streaming, server_streaming = (PEER_METHODS + ORDERER_METHODS)[which]
    channel = orderer if "AtomicBroadcast" in method else peer
    code = _call(channel, method, client_streaming, server_streaming, data)
    assert code not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (method, data)
    assert all(status.running for status in net.local.status())


def test_nodes_still_serve_after_the_fuzzing(dev_network) -> None:
    net, _, _ = dev_network
    statuses = net.local.wait_healthy(net.clients.network, timeout=10)
    assert all(s.healthy for s in statuses)


