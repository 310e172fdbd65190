"""Consenter-to-consenter messaging over the Cluster service (orderer.proto, `Cluster.Step`).

Each node keeps one long-lived client stream to every other consenter and sends all its messages for that peer on
it (a stream carries thousands of messages per second where unary calls manage hundreds; docs/performance.md);
the peer's replies come back on the peer's own stream to us. Sending never waits: a message goes into
the link's queue for the current or next connection attempt; what a failed attempt had not sent is dropped, as is
a message that finds the queue full, which raft tolerates (it retransmits what matters). Dropping on failure also
keeps stale messages (a forwarded broadcast that was already answered SERVICE_UNAVAILABLE when the link broke)
from arriving late after a reconnect.

Inbound, a stream is accepted only from a consenter of the channel: the TLS client certificate (mutual TLS, checked
by gRPC against the channel's TLS CAs) must be one of the consenters' `tls_cert` in the channel config, and every
message must name that consenter as sender and this channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping

import grpc
from cryptography.hazmat.primitives import serialization
from google.protobuf.message import Message as ProtoMessage

from gridledger.common import grpcutil, linkfaults
from gridledger.common.grpcservice import service_handler
from gridledger.common.logs import log_event
from gridledger.v1 import config_pb2, orderer_pb2

logger = logging.getLogger("gridledger.orderer.consensus.transport")



class BadPayload(ValueError):
    """A cluster message whose payload is not a well-formed message of the plugin."""


def kind_of(message: ProtoMessage) -> str:
    """The `kind` a payload travels under: its full protobuf name."""
    return message.DESCRIPTOR.full_name


# A plugin's payload parser: (kind, bytes) -> its message, raising BadPayload.
Decoder = Callable[[str, bytes], ProtoMessage]


def parse_payload(kind: str, payload: bytes, types: Mapping[str, type[ProtoMessage]]) -> ProtoMessage:
    """The payload as the message type `kind` names among a plugin's `types`; BadPayload says what is wrong."""
    message_type = types.get(kind)
    if message_type is None:
        raise BadPayload(f"unknown cluster message kind {kind[:100]!r} (expected one of {', '.join(types)})")
    try:
        return message_type.FromString(payload)
    except Exception as exc:  # DecodeError, bad UTF-8
        raise BadPayload(f"payload is not a valid {kind}: {exc}") from None

CLUSTER_SERVICE = orderer_pb2.DESCRIPTOR.services_by_name["Cluster"]
STEP_METHOD = f"/{CLUSTER_SERVICE.full_name}/Step"
MAX_QUEUED = 4096  # messages waiting for one peer's stream
RECONNECT_MIN_S = 0.05
RECONNECT_MAX_S = 1.0
# Our own channel options. A fresh channel per connection attempt with a subchannel of its own: by default gRPC
# shares subchannels between channels to one address, so a new channel would inherit a failed connection's reconnect
# backoff (growing to minutes) and hold our messages back for seconds after a restarted peer is listening again.
CHANNEL_OPTIONS = [
    ("grpc.use_local_subchannel_pool", 1),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    ("grpc.max_send_message_length", grpcutil.MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", grpcutil.MAX_MESSAGE_BYTES),
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
]


def _raw(data: bytes) -> bytes:
    return data


def _der(pem: bytes) -> bytes | None:
    try:
        return grpcutil.certificate_der(pem)
    except ValueError:
        return None


class PeerLink:
    """The outbound stream to one consenter, reconnecting for as long as the node runs.

    Every connection attempt gets its own queue and request generator. gRPC may keep a failed call's generator
    waiting on its queue; were the queue shared, that orphan would take (and lose) the next messages meant for the
    new stream. So a finished attempt's queue is emptied and closed with a sentinel, which ends its generator, and
    messages sent from then on wait in the next attempt's queue.
    """

    def __init__(self, peer_id: str, address: str, credentials: grpc.ChannelCredentials,
                 on_down: Callable[[str], None]) -> None:
        self.peer_id = peer_id
        self.address = address
        self._credentials = credentials
        self._on_down = on_down
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue(MAX_QUEUED)
        self.dropped = 0

    def send(self, data: bytes) -> None:
        try:
            self._queue.put_nowait(data)
        except asyncio.QueueFull:
            self.dropped += 1

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        backoff = RECONNECT_MIN_S
        while True:
            started = loop.time()
            queue = self._queue
            try:
                await self._stream(queue)
                error = "the peer closed the stream"
            except grpc.aio.AioRpcError as exc:
                error = f"{exc.code().name}: {exc.details()}"
            except Exception as exc:  # never let one peer's link die: raft needs it back
                error = f"{type(exc).__name__}: {exc}"
                log_event(logger, "cluster stream failed", level=logging.ERROR, peer=self.peer_id, exc_info=True)
            self._queue = asyncio.Queue(MAX_QUEUED)
            self.dropped += queue.qsize()
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)
            self._on_down(self.peer_id)
            if loop.time() - started > 1.0:
                backoff = RECONNECT_MIN_S
                log_event(logger, "cluster stream lost", level=logging.WARNING, peer=self.peer_id,
                          address=self.address, error=error)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RECONNECT_MAX_S)

    @staticmethod
    async def _requests(queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        while True:
            item = await queue.get()
            if item is None:
                return
            yield item

    async def _stream(self, queue: asyncio.Queue[bytes | None]) -> None:
        address, routing = linkfaults.route(self.address)
        async with grpc.aio.secure_channel(address, self._credentials, options=CHANNEL_OPTIONS + routing) as channel:
            step = channel.stream_unary(STEP_METHOD, request_serializer=_raw,
                                        response_deserializer=orderer_pb2.ClusterAck.FromString)
            await step(self._requests(queue))


class ClusterTransport:
    """Sends payloads to the other consenters of one channel and hands received ones to `deliver`."""

    def __init__(self, channel_id: str, node_id: str, consenters: Mapping[str, config_pb2.Consenter],
                 tls: grpcutil.TlsMaterial, decode: Decoder, deliver: Callable[[str, ProtoMessage], None],
                 on_down: Callable[[str], None]) -> None:
        self._channel_id = channel_id
        self._decode = decode
        self._node_id = node_id
        self._deliver = deliver
        credentials = grpcutil.channel_credentials(tls)
        self.links = {peer: PeerLink(peer, f"{c.host}:{c.port}", credentials, on_down)
                      for peer, c in consenters.items() if peer != node_id}
        self._by_certificate: dict[bytes, str] = {}
        for consenter_id, consenter in consenters.items():
            der = _der(consenter.tls_cert)
            if der is None:
                raise ValueError(f"consenter {consenter_id!r} has an unreadable tls_cert in the channel config")
            self._by_certificate[der] = consenter_id
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(link.run(), name=f"cluster-link-{peer}")
                       for peer, link in self.links.items()]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def send(self, to: str, payload: ProtoMessage) -> None:
        link = self.links.get(to)
        if link is None:
            return
        message = orderer_pb2.ClusterMessage(channel_id=self._channel_id, sender_id=self._node_id,
                                             kind=kind_of(payload), payload=payload.SerializeToString())
        link.send(message.SerializeToString())

    @property
    def dropped(self) -> int:
        return sum(link.dropped for link in self.links.values())

    def handler(self) -> grpc.GenericRpcHandler:
        """The Cluster service; Step reads raw bytes so that each bad message gets its own precise refusal."""
        return service_handler(self, CLUSTER_SERVICE, raw=("Step",))

    def authenticate(self, context: grpc.aio.ServicerContext) -> str | None:
        """The consenter id whose TLS certificate the caller presented, or None."""
        try:
            certificate = grpcutil.client_certificate(context)
        except ValueError:
            return None
        if certificate is None:
            return None
        return self._by_certificate.get(certificate.public_bytes(serialization.Encoding.DER))

    async def Step(self, requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) \
            -> orderer_pb2.ClusterAck:
        sender = self.authenticate(context)
        if sender is None:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                f"only the consenters of channel {self._channel_id!r} may use the cluster service; "
                                "the client TLS certificate is not one of theirs")
        async for raw in requests:
            try:
                message = orderer_pb2.ClusterMessage.FromString(raw)
            except Exception as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    f"cluster message of {len(raw)} bytes is not a valid ClusterMessage ({exc})")
            if message.channel_id != self._channel_id:
                await context.abort(grpc.StatusCode.NOT_FOUND, f"channel {message.channel_id[:100]!r} is not "
                                    f"served by this orderer (it serves {self._channel_id!r})")
            if message.sender_id != sender:
                await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                    f"sender_id {message.sender_id[:100]!r} does not match the TLS identity of "
                                    f"consenter {sender!r}")
            try:
                payload = self._decode(message.kind, message.payload)
            except BadPayload as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
            self._deliver(sender, payload)
        return orderer_pb2.ClusterAck()
