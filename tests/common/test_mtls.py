"""Mutual TLS on a real loopback gRPC server: known clients get in, clients of an unknown CA do not."""

import asyncio
from pathlib import Path

import grpc
import pytest

from gridledger.common import grpcutil, msp
from gridledger.common.material import load_member

METHOD = "/gridledger.test.Echo/Call"


def _echo_handler() -> grpc.GenericRpcHandler:
    async def call(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        cert = grpcutil.client_certificate(context)
        return request + b"|" + (cert.subject.rfc4514_string().encode() if cert else b"anonymous")

    handler = grpc.unary_unary_rpc_method_handler(call)
    return grpc.method_handlers_generic_handler("gridledger.test.Echo", {"Call": handler})


async def _call(server_tls: grpcutil.TlsMaterial, client_tls: grpcutil.TlsMaterial) -> bytes:
    server, port = grpcutil.aio_server(server_tls, "127.0.0.1:0")
    server.add_generic_rpc_handlers([_echo_handler()])
    await server.start()
    try:
        async with grpcutil.aio_channel(f"127.0.0.1:{port}", client_tls) as channel:
            stub = channel.unary_unary(METHOD)
            return await stub(b"ping", timeout=5)
    finally:
        await server.stop(None)


def test_known_client_is_admitted_and_identified(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto = raft_crypto
    orgs = ["OrdererMSP", "Org1MSP", "Org2MSP"]
    server = load_member(crypto, "Org1MSP", "peer0-org1", orgs).tls
    client = load_member(crypto, "Org2MSP", "user1", orgs).tls
    reply = asyncio.run(_call(server, client))
    assert reply.startswith(b"ping|") and b"CN=user1" in reply and b"O=Org2MSP" in reply


def test_client_from_unknown_ca_is_refused(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto = raft_crypto
    server = load_member(crypto, "Org1MSP", "peer0-org1", ["OrdererMSP", "Org1MSP", "Org2MSP"]).tls
    rogue_ca = msp.new_tls_ca("Org1MSP")
    rogue = msp.issue_tls(rogue_ca, "mallory", ["localhost", "127.0.0.1"])
    # The rogue client trusts the real server (so only the server's check can fail).
    client = grpcutil.TlsMaterial(rogue.cert_pem, rogue.key_pem, server.root_certs_pem)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        asyncio.run(_call(server, client))
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_client_without_certificate_is_refused(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto = raft_crypto
    server_tls = load_member(crypto, "Org1MSP", "peer0-org1", ["OrdererMSP", "Org1MSP", "Org2MSP"]).tls

    async def anonymous() -> bytes:
        server, port = grpcutil.aio_server(server_tls, "127.0.0.1:0")
        server.add_generic_rpc_handlers([_echo_handler()])
        await server.start()
        try:
            credentials = grpc.ssl_channel_credentials(root_certificates=server_tls.root_certs_pem)
            async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
                return await channel.unary_unary(METHOD)(b"ping", timeout=5)
        finally:
            await server.stop(None)

    with pytest.raises(grpc.aio.AioRpcError):
        asyncio.run(anonymous())
