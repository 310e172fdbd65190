"""Checks every envelope at the orderer's boundary before it can be ordered (DESIGN.md, "Bad input and faults").

Each check answers with a status the client can act on and an info string that names the exact problem:
BAD_REQUEST for what the client built wrong (unparsable bytes, wrong type or channel, bad tx id),
FORBIDDEN for who is not allowed (unknown or invalid creator, bad signature, not a channel writer),
REQUEST_ENTITY_TOO_LARGE for envelopes above the channel's absolute_max_bytes.
Nothing here raises on malformed input; every failure is a `Rejected` with a status.

Costs: the size check comes first (free), the single Ed25519 verification last but one; creator certificates are
validated once and cached by the MSP, and the Writers decision is cached per (MSP id, role).
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common import hashing
from gridledger.common.channel import ChannelContext
from gridledger.common.msp import IdentityError, Member
from gridledger.common.policy import Policy, Principal
from gridledger.v1 import orderer_pb2, transaction_pb2

SUCCESS = orderer_pb2.SUCCESS
BAD_REQUEST = orderer_pb2.BAD_REQUEST
FORBIDDEN = orderer_pb2.FORBIDDEN
SERVICE_UNAVAILABLE = orderer_pb2.SERVICE_UNAVAILABLE
REQUEST_ENTITY_TOO_LARGE = orderer_pb2.REQUEST_ENTITY_TOO_LARGE


class Rejected(Exception):
    """An envelope or request that must not be served: a BroadcastStatus and the reason."""

    def __init__(self, status: int, info: str) -> None:
        super().__init__(info)
        self.status = status
        self.info = info

    @property
    def status_name(self) -> str:
        return orderer_pb2.BroadcastStatus.Name(self.status)


def header_type_name(value: int) -> str:
    try:
        return transaction_pb2.HeaderType.Name(value)
    except ValueError:
        return f"unknown header type {value}"


def open_envelope(envelope: transaction_pb2.Envelope) -> tuple[transaction_pb2.Payload, transaction_pb2.Header]:
    """Parse the payload and its header; BAD_REQUEST when either is missing or malformed."""
    if not envelope.payload:
        raise Rejected(BAD_REQUEST, "envelope has no payload")
    try:
        payload = transaction_pb2.Payload.FromString(envelope.payload)
    except Exception as exc:  # protobuf's DecodeError, or ValueError for bad UTF-8 in strings
        raise Rejected(BAD_REQUEST, f"envelope payload is not a valid Payload message ({exc})") from None
    if not payload.header:
        raise Rejected(BAD_REQUEST, "payload has no header")
    try:
        header = transaction_pb2.Header.FromString(payload.header)
    except Exception as exc:
        raise Rejected(BAD_REQUEST, f"payload header is not a valid Header message ({exc})") from None
    return payload, header


def authenticate(context: ChannelContext, header: transaction_pb2.Header,
                 envelope: transaction_pb2.Envelope) -> Member:
    """The creator as a validated channel member whose signature over the payload verifies; FORBIDDEN otherwise."""
    if not header.HasField("creator") or not header.creator.certificate:
        raise Rejected(FORBIDDEN, "header has no creator identity")
    try:
        member = context.msp.validate(header.creator)
    except IdentityError as exc:
        raise Rejected(FORBIDDEN, f"creator is not a valid member of channel {context.channel_id!r}: {exc}") \
            from None
    except Exception as exc:  # a certificate the X.509 parser chokes on in an unexpected way
        raise Rejected(FORBIDDEN, f"creator certificate cannot be read ({type(exc).__name__}: {exc})") from None
    if not member.verify(envelope.payload, envelope.signature):
        raise Rejected(FORBIDDEN, f"envelope signature does not verify over the payload with the key of "
                                  f"{member.name} ({member.msp_id})")
    return member


class PolicyCheck:
    """A channel policy evaluated for single signers, cached per (MSP id, role): the answer depends on nothing
    else, and evaluating the policy tree for every envelope would cost more than the rest of the checks."""

    def __init__(self, name: str, policy: Policy) -> None:
        self.name = name
        self._policy = policy
        self._cache: dict[Principal, bool] = {}

    def allows(self, member: Member) -> bool:
        principal = Principal(member.msp_id, member.role)
        allowed = self._cache.get(principal)
        if allowed is None:
            allowed = self._policy.evaluate([principal])
            self._cache[principal] = allowed
        return allowed

    def require(self, member: Member) -> None:
        if not self.allows(member):
            raise Rejected(FORBIDDEN, f"creator {member.name} ({member.msp_id}, role {member.role}) does not "
                                      f"satisfy the {self.name} policy {str(self._policy)!r}")


def channel_policy(context: ChannelContext, name: str) -> PolicyCheck:
    policy = context.policies.get(name)
    if policy is None:
        raise ValueError(f"the channel config of {context.channel_id!r} has no {name} policy")
    return PolicyCheck(name, policy)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one broadcast envelope."""

    status: int
    info: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == SUCCESS


ACCEPTED = Verdict(SUCCESS)


class EnvelopeValidator:
    """Decides whether an envelope may be ordered on this channel."""

    def __init__(self, context: ChannelContext) -> None:
        self._context = context
        self._writers = channel_policy(context, "Writers")
        self._max_bytes = context.config.batch.absolute_max_bytes

    def check(self, envelope: transaction_pb2.Envelope, size: int) -> Verdict:
        """`size` is the envelope's serialized size, the number of bytes it will take in a block."""
        try:
            self._check(envelope, size)
        except Rejected as rejected:
            return Verdict(rejected.status, rejected.info)
        return ACCEPTED

    def _check(self, envelope: transaction_pb2.Envelope, size: int) -> None:
        if size > self._max_bytes:
            raise Rejected(REQUEST_ENTITY_TOO_LARGE, f"envelope of {size} bytes exceeds the channel's "
                                                     f"absolute_max_bytes of {self._max_bytes}")
        _, header = open_envelope(envelope)
        if header.type != transaction_pb2.ENDORSER_TRANSACTION:
            raise Rejected(BAD_REQUEST, f"header type {header_type_name(header.type)} cannot be broadcast; "
                                        "only ENDORSER_TRANSACTION is ordered")
        if header.channel_id != self._context.channel_id:
            raise Rejected(BAD_REQUEST, f"channel {header.channel_id!r} is not served by this orderer "
                                        f"(it orders {self._context.channel_id!r})")
        if not header.nonce:
            raise Rejected(BAD_REQUEST, "header has no nonce")
        if header.tx_id != hashing.tx_id(header.nonce, header.creator.certificate):
            raise Rejected(BAD_REQUEST, f"tx_id {header.tx_id[:80]!r} is not hex(SHA-256(nonce || creator "
                                        "certificate))")
        member = authenticate(self._context, header, envelope)
        self._writers.require(member)
