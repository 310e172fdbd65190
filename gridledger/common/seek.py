"""Signed deliver requests: a SeekInfo wrapped in an envelope signed by a channel member.

Peers and orderers both serve block streams to authenticated readers; clients, peers and orderers all request them.
"""

from __future__ import annotations

import os
import time

from google.protobuf.message import DecodeError

from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.common.policy import Principal
from gridledger.v1 import peer_pb2, transaction_pb2


class SeekRejected(Exception):
    """`status` is the DeliverResponse status to answer with (BAD_REQUEST or FORBIDDEN)."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def seek_envelope(identity: msp.SigningIdentity, channel_id: str, start: int = 0, *, stop: int = 0,
                  newest: bool = False) -> transaction_pb2.Envelope:
    nonce = os.urandom(24)
    header = transaction_pb2.Header(channel_id=channel_id, tx_id=hashing.tx_id(nonce, identity.certificate),
                                    timestamp_ns=time.time_ns(), creator=identity.serialized(), nonce=nonce)
    info = peer_pb2.SeekInfo(channel_id=channel_id, start=start, stop=stop, newest=newest)
    payload = transaction_pb2.Payload(header=header.SerializeToString(), data=info.SerializeToString())
    payload_bytes = payload.SerializeToString()
    return transaction_pb2.Envelope(payload=payload_bytes, signature=identity.sign(payload_bytes))


def verify_seek(envelope: transaction_pb2.Envelope, context: ChannelContext) -> tuple[peer_pb2.SeekInfo, msp.Member]:
    """The request and its signer, if the signer may read the channel (Readers policy, or any peer or orderer)."""
    try:
        payload = transaction_pb2.Payload.FromString(envelope.payload)
        header = transaction_pb2.Header.FromString(payload.header)
        info = peer_pb2.SeekInfo.FromString(payload.data)
    except (DecodeError, ValueError) as exc:
        raise SeekRejected("BAD_REQUEST", f"malformed deliver request: {exc}") from None
    if info.channel_id != context.channel_id or header.channel_id != context.channel_id:
        raise SeekRejected("NOT_FOUND", f"no channel {info.channel_id!r} here")
    try:
        member = context.msp.validate(header.creator)
    except msp.IdentityError as exc:
        raise SeekRejected("FORBIDDEN", str(exc)) from None
    if not member.verify(envelope.payload, envelope.signature):
        raise SeekRejected("FORBIDDEN", "deliver request signature does not verify")
    if member.role not in ("peer", "orderer") and not context.policies["Readers"].evaluate(
            [Principal(member.msp_id, member.role)]):
        raise SeekRejected("FORBIDDEN", f"{member.name} ({member.msp_id}) may not read channel {context.channel_id}")
    return info, member
