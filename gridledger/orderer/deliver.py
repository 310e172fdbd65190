"""Deliver: a signed SeekInfo in, a stream of blocks out.

The request is an Envelope whose payload data is a `SeekInfo` (any header type; HEADER_TYPE_UNSPECIFIED is
usual). The creator must be a valid member of the channel whose signature over the payload verifies, and must be
an orderer or a peer or satisfy the channel's Readers policy. Then blocks are sent from `start` (or, with `newest`,
from the height at the time of the request, i.e. only blocks written from then on), each as soon as it is stored;
a caught-up stream waits on the chain's notification, never polls. With `stop` > 0 the stream ends before block
`stop` (exclusive, like a Python range) with status SUCCESS; with `stop` == 0 it never ends on its own.

A refused request gets one DeliverResponse with status BAD_REQUEST, FORBIDDEN or NOT_FOUND (another channel); the
reason travels in the trailing metadata key `gridledger-info`, since the status is a bare string.

Blocks are served as the bytes that were stored: the response message is framed around them by hand (field 1, a
length-delimited Block) instead of parsing and re-serialising each block for each reader.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import grpc

from gridledger.common import envelope as envelopes
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import DELIVER_STATUS, EnvelopeError
from gridledger.common.logs import log_event
from gridledger.orderer.chain import Chain
from gridledger.orderer.validation import Rejected, channel_policy
from gridledger.v1 import block_pb2, peer_pb2, transaction_pb2

logger = logging.getLogger("gridledger.orderer.deliver")

INFO_KEY = "gridledger-info"
_BLOCK_FIELD_TAG = b"\x0a"  # DeliverResponse.block: field 1, wire type 2 (length-delimited)
_SERVICE_ROLES = ("orderer", "peer")


class Refused(Exception):
    """A deliver request that is not served: a DeliverResponse status string and the reason."""

    def __init__(self, status: str, info: str) -> None:
        super().__init__(info)
        self.status = status
        self.info = info


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def block_response(block: bytes) -> bytes:
    """The serialized DeliverResponse carrying the serialized Block `block`."""
    return _BLOCK_FIELD_TAG + _varint(len(block)) + block


def serialize_response(message: bytes | peer_pb2.DeliverResponse) -> bytes:
    """Response serializer for Deliver: pre-framed bytes pass through, messages are serialized."""
    if isinstance(message, bytes):
        return message
    return message.SerializeToString()


def _ascii(text: str) -> str:
    """Metadata values must be printable ASCII."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)[:1000]


def forged(raw: bytes) -> bytes:
    """The block with every signature altered: what a Byzantine orderer would send to pass off a block no quorum
    signed (test-only, orderer/faults.py)."""
    block = block_pb2.Block.FromString(raw)
    for signature in block.metadata.signatures:
        signature.signature = bytes(b ^ 0x01 for b in signature.signature)
    return block.SerializeToString()


class DeliverService:
    """The Deliver half of AtomicBroadcast for one channel."""

    def __init__(self, context: ChannelContext, chain: Chain, fault: str | None = None) -> None:
        self._context = context
        self._chain = chain
        self._readers = channel_policy(context, "Readers")
        self._fault = fault  # a test-only Deliver mode towards peers (orderer/faults.py), or None

    def check_request(self, raw: bytes) -> tuple[peer_pb2.SeekInfo, str]:
        """The SeekInfo of a well-formed request from an allowed reader, and the reader's role; raises Refused
        otherwise."""
        try:
            request = envelopes.decode(transaction_pb2.Envelope, raw, "request")
            seek, member = envelopes.open_seek(request, self._context, "orderer")
        except EnvelopeError as error:
            raise Refused(DELIVER_STATUS[error.fault], str(error)) from None
        if member.role not in _SERVICE_ROLES:
            try:
                self._readers.require(member)
            except Rejected as rejected:
                raise Refused(rejected.status_name, rejected.info) from None
        if seek.stop and not seek.newest and seek.start >= seek.stop:
            raise Refused("BAD_REQUEST", f"start {seek.start} is not before stop {seek.stop}")
        return seek, member.role

    async def deliver(self, raw: bytes,
                      context: grpc.aio.ServicerContext) -> AsyncIterator[bytes | peer_pb2.DeliverResponse]:
        """The stream handler; the request arrives as raw bytes so that parse errors are ours to answer."""
        try:
            seek, role = self.check_request(raw)
        except Refused as refused:
            log_event(logger, "deliver refused", level=logging.DEBUG, status=refused.status, info=refused.info)
            context.set_trailing_metadata(((INFO_KEY, _ascii(refused.info)),))
            yield peer_pb2.DeliverResponse(status=refused.status)
            return
        if self._fault == "withhold" and role == "peer":
            await asyncio.Event().wait()  # a Byzantine orderer that keeps the stream open and sends nothing
        next_number = self._chain.height if seek.newest else seek.start
        if seek.stop and next_number >= seek.stop:
            context.set_trailing_metadata(((INFO_KEY, f"the newest block is already past stop {seek.stop}"),))
            yield peer_pb2.DeliverResponse(status="BAD_REQUEST")
            return
        while not seek.stop or next_number < seek.stop:
            height = self._chain.height
            if next_number >= height:
                await self._chain.wait_for_height(next_number + 1)
                continue
            last = height - 1 if not seek.stop else min(height - 1, seek.stop - 1)
            while next_number <= last:
                block = self._chain.raw_block(next_number)
                if block is None:  # cannot happen below the height; stop rather than skip a block
                    raise RuntimeError(f"block {next_number} is missing from the store")
                yield block_response(forged(block) if self._fault == "forge" and role == "peer" else block)
                next_number += 1
        yield peer_pb2.DeliverResponse(status="SUCCESS")
