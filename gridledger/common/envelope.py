"""Opening what arrives signed, once for every node: an envelope (payload, header and its creator), a signed
proposal, and a deliver request. The unwrapping half of Fabric's protoutil; common/txbuilder.py is the building half.

Every failure is an `EnvelopeError` whose `fault` says what kind of problem it is and whose message names it
exactly. Callers map the fault to their own answer: the orderer's broadcast to a BroadcastStatus
(orderer/validation.py), commit-time validation to a ValidationCode (peer/validation/txcheck.py), the endorser and
the admin service to a gRPC status (peer/endorser.py, peer/services.py), deliver to a DeliverResponse status
(`DELIVER_STATUS`, used by orderer/deliver.py and peer/deliver.py). Which checks a caller runs, and in which order,
stays with the caller: the orderer checks the cheap header fields before the signature, the committer needs the
creator checked before the tx id.

Nothing here raises anything but EnvelopeError on malformed bytes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from google.protobuf.message import Message

from gridledger.common import hashing
from gridledger.common.msp import IdentityError, Member
from gridledger.v1 import identity_pb2, peer_pb2, transaction_pb2

if TYPE_CHECKING:  # common/channel.py opens its config envelope with this module
    from gridledger.common.channel import ChannelContext

M = TypeVar("M", bound=Message)


class Fault(enum.Enum):
    MALFORMED = "malformed"          # bytes that do not decode, or a required part is missing
    WRONG_TYPE = "wrong type"        # a header type the caller does not accept
    WRONG_CHANNEL = "wrong channel"  # for a channel this node does not serve
    BAD_TX_ID = "bad tx id"          # no nonce, or tx_id is not bound to nonce and creator
    BAD_CREATOR = "bad creator"      # no creator, or not a valid member in a role the caller accepts
    BAD_SIGNATURE = "bad signature"  # the creator's signature does not verify


class EnvelopeError(ValueError):
    """Something signed that cannot be trusted or read; `fault` classifies it for the caller's error codes."""

    def __init__(self, fault: Fault, message: str) -> None:
        super().__init__(message)
        self.fault = fault


# What a deliver request's fault answers, on peers and orderers alike.
DELIVER_STATUS = {Fault.MALFORMED: "BAD_REQUEST", Fault.WRONG_TYPE: "BAD_REQUEST", Fault.BAD_TX_ID: "BAD_REQUEST",
                  Fault.WRONG_CHANNEL: "NOT_FOUND", Fault.BAD_CREATOR: "FORBIDDEN", Fault.BAD_SIGNATURE: "FORBIDDEN"}


def decode(message_type: type[M], data: bytes, what: str) -> M:
    """`data` parsed as `message_type`; MALFORMED naming `what` and the parser's complaint otherwise."""
    try:
        return message_type.FromString(data)
    except Exception as exc:  # protobuf's DecodeError, or ValueError for bad UTF-8 in strings
        raise EnvelopeError(Fault.MALFORMED, f"{what} is not a valid {message_type.__name__} message ({exc})") \
            from None


def header_type_name(value: int) -> str:
    try:
        return transaction_pb2.HeaderType.Name(value)
    except ValueError:
        return f"unknown header type {value}"


@dataclass(frozen=True, slots=True)
class OpenedEnvelope:
    envelope: transaction_pb2.Envelope
    payload: transaction_pb2.Payload
    header: transaction_pb2.Header


def open_envelope(envelope: transaction_pb2.Envelope) -> OpenedEnvelope:
    """The payload and its header, both required."""
    if not envelope.payload:
        raise EnvelopeError(Fault.MALFORMED, "envelope has no payload")
    payload = decode(transaction_pb2.Payload, envelope.payload, "envelope payload")
    if not payload.header:
        raise EnvelopeError(Fault.MALFORMED, "payload has no header")
    return OpenedEnvelope(envelope, payload, decode(transaction_pb2.Header, payload.header, "payload header"))


def open_stored(raw: bytes) -> OpenedEnvelope:
    """An envelope as a block stores it (serialized)."""
    return open_envelope(decode(transaction_pb2.Envelope, raw, "envelope"))


def transaction_of(payload: transaction_pb2.Payload) -> transaction_pb2.Transaction:
    """The endorsed transaction an ENDORSER_TRANSACTION payload carries."""
    return decode(transaction_pb2.Transaction, payload.data, "transaction")


def invocation_of(transaction: transaction_pb2.Transaction) -> transaction_pb2.ChaincodeInvocation:
    return decode(transaction_pb2.ChaincodeInvocation, transaction.invocation, "invocation")


def response_of(transaction: transaction_pb2.Transaction) -> transaction_pb2.ProposalResponsePayload:
    """What the endorsers signed: the proposal hash, chaincode, read/write set, events and response."""
    return decode(transaction_pb2.ProposalResponsePayload, transaction.proposal_response_payload,
                  "proposal response payload")


def check_tx_id(header: transaction_pb2.Header) -> None:
    """The header carries a nonce and tx_id = hex(SHA-256(nonce || creator certificate))."""
    if not header.nonce:
        raise EnvelopeError(Fault.BAD_TX_ID, "header has no nonce")
    if header.tx_id != hashing.tx_id(header.nonce, header.creator.certificate):
        raise EnvelopeError(Fault.BAD_TX_ID, f"tx_id {header.tx_id[:80]!r} is not hex(SHA-256(nonce || creator "
                                             "certificate))")


def validate_creator(context: ChannelContext, creator: identity_pb2.SerializedIdentity,
                     roles: Sequence[str] = ()) -> Member:
    """The creator as a valid member of the channel (in one of `roles`, if given)."""
    if not creator.certificate:
        raise EnvelopeError(Fault.BAD_CREATOR, "header has no creator identity")
    try:
        return context.msp.validate(creator, roles=roles)
    except IdentityError as exc:
        raise EnvelopeError(Fault.BAD_CREATOR, f"creator is not a valid member of channel {context.channel_id!r}: "
                                               f"{exc}") from None
    except Exception as exc:  # a certificate the X.509 parser chokes on in an unexpected way
        raise EnvelopeError(Fault.BAD_CREATOR, f"creator certificate cannot be read ({type(exc).__name__}: {exc})") \
            from None


def verify_signature(member: Member, signed: bytes, signature: bytes, failure: str) -> None:
    """BAD_SIGNATURE with `failure` (what did not verify) and the member's name when the signature is wrong."""
    if not member.verify(signed, signature):
        raise EnvelopeError(Fault.BAD_SIGNATURE, f"{failure} with the key of {member.name} ({member.msp_id})")


def authenticate(context: ChannelContext, opened: OpenedEnvelope, roles: Sequence[str] = ()) -> Member:
    """The creator, validated, whose signature over the payload verifies."""
    member = validate_creator(context, opened.header.creator, roles)
    verify_signature(member, opened.envelope.payload, opened.envelope.signature,
                     "envelope signature does not verify over the payload")
    return member


@dataclass(frozen=True, slots=True)
class OpenedProposal:
    signed: transaction_pb2.SignedProposal
    proposal: transaction_pb2.Proposal
    header_bytes: bytes
    header: transaction_pb2.Header
    invocation: transaction_pb2.ChaincodeInvocation


def open_proposal(signed: transaction_pb2.SignedProposal) -> OpenedProposal:
    """The nested messages of an endorser proposal, which must name a chaincode and a function."""
    proposal = decode(transaction_pb2.Proposal, signed.proposal_bytes, "proposal")
    header = decode(transaction_pb2.Header, proposal.header, "proposal header")
    invocation = decode(transaction_pb2.ChaincodeInvocation, proposal.invocation, "proposal invocation")
    if header.type != transaction_pb2.ENDORSER_TRANSACTION:
        raise EnvelopeError(Fault.WRONG_TYPE, f"proposal header type must be ENDORSER_TRANSACTION, not "
                                              f"{header_type_name(header.type)}")
    if not invocation.chaincode or not invocation.function:
        raise EnvelopeError(Fault.MALFORMED, "proposal names no chaincode or function")
    return OpenedProposal(signed, proposal, proposal.header, header, invocation)


def authenticate_proposal(context: ChannelContext, opened: OpenedProposal, roles: Sequence[str] = ()) -> Member:
    member = validate_creator(context, opened.header.creator, roles)
    verify_signature(member, opened.signed.proposal_bytes, opened.signed.signature,
                     "proposal signature does not verify")
    return member


def open_seek(envelope: transaction_pb2.Envelope, context: ChannelContext,
              served_by: str) -> tuple[peer_pb2.SeekInfo, Member]:
    """A deliver request for this channel from a valid member whose signature verifies; `served_by` names the node
    in the WRONG_CHANNEL message. Whether the member may read is the caller's policy decision."""
    opened = open_envelope(envelope)
    header = opened.header
    if header.channel_id != context.channel_id:
        raise EnvelopeError(Fault.WRONG_CHANNEL, f"channel {header.channel_id!r} is not served by this {served_by} "
                                                 f"(it serves {context.channel_id!r})")
    seek = decode(peer_pb2.SeekInfo, opened.payload.data, "payload data")
    if seek.channel_id != header.channel_id:
        raise EnvelopeError(Fault.MALFORMED, f"SeekInfo names channel {seek.channel_id!r} but the header names "
                                             f"{header.channel_id!r}")
    return seek, authenticate(context, opened)
