"""gRPC servers and channels with mutual TLS, the only kind of connection gridledger nodes accept or open.

Trust comes from the TLS CAs that the channel config lists: a server requires a client certificate chaining to one
of them, and a client checks the server against the same roots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gridledger.common import linkfaults

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]


@dataclass(frozen=True)
class TlsMaterial:
    """A node's or client's TLS certificate and key, and the CA certificates it trusts (all PEM)."""

    cert_pem: bytes
    key_pem: bytes
    root_certs_pem: bytes

    @classmethod
    def load(cls, cert: Path, key: Path, roots: list[Path]) -> TlsMaterial:
        return cls(cert.read_bytes(), key.read_bytes(), b"".join(p.read_bytes() for p in roots))


def server_credentials(tls: TlsMaterial) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials([(tls.key_pem, tls.cert_pem)], root_certificates=tls.root_certs_pem,
                                       require_client_auth=True)


def channel_credentials(tls: TlsMaterial) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(root_certificates=tls.root_certs_pem, private_key=tls.key_pem,
                                        certificate_chain=tls.cert_pem)


@dataclass(frozen=True)
class ServerLimits:
    """What one gRPC server lets its callers hold (docs/reliability.md, "Resource limits"): the largest request
    message it reads (larger ones end with RESOURCE_EXHAUSTED before any handler runs), the streams one connection
    may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: a client's further calls wait in its own
    transport, other connections are not affected) and the calls the whole server runs at once (beyond it new calls
    get RESOURCE_EXHAUSTED at once: a bound on memory, set far above what fair clients reach)."""

    max_message_bytes: int = MAX_MESSAGE_BYTES
    max_concurrent_streams: int = 1000
    max_concurrent_rpcs: int = 20_000


def aio_server(tls: TlsMaterial, address: str, limits: ServerLimits = ServerLimits()) -> tuple[grpc.aio.Server, int]:
    """An asyncio gRPC server with a mutual-TLS port bound at `address`, held to `limits`; returns the server and the
    bound port."""
    options = [option for option in _OPTIONS if option[0] != "grpc.max_receive_message_length"]
    options += [("grpc.max_receive_message_length", limits.max_message_bytes),
                ("grpc.max_concurrent_streams", limits.max_concurrent_streams)]
    server = grpc.aio.server(options=options, maximum_concurrent_rpcs=limits.max_concurrent_rpcs)
    port = server.add_secure_port(address, server_credentials(tls))
    if port == 0:
        raise OSError(f"cannot listen on {address}: is the port already in use?")
    return server, port


def aio_channel(target: str, tls: TlsMaterial, server_name: str | None = None) -> grpc.aio.Channel:
    """An asyncio channel to `target` (host:port) that presents our certificate and checks the server's; through
    the link-fault layer when this process has it on (common/linkfaults.py)."""
    target, routing = linkfaults.route(target)
    options = list(_OPTIONS) + ([("grpc.ssl_target_name_override", server_name)] if server_name else routing)
    return grpc.aio.secure_channel(target, channel_credentials(tls), options=options)


def sync_channel(target: str, tls: TlsMaterial, server_name: str | None = None) -> grpc.Channel:
    """A blocking channel, for the CLI and tests."""
    options = list(_OPTIONS)
    if server_name:
        options.append(("grpc.ssl_target_name_override", server_name))
    return grpc.secure_channel(target, channel_credentials(tls), options=options)


def client_certificate(context: grpc.aio.ServicerContext) -> x509.Certificate | None:
    """The certificate the caller presented in the TLS handshake (None if there was none)."""
    pems = context.auth_context().get("x509_pem_cert")
    if not pems:
        return None
    return x509.load_pem_x509_certificate(pems[0])


def certificate_der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
