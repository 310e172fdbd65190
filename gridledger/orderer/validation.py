"""Checks every envelope at the orderer's boundary before it can be ordered (docs/design.md, "Orderer").

Each check answers with a status the client can act on and an info string that names the exact problem:
BAD_REQUEST for what the client built wrong (unparsable bytes, wrong type or channel, bad tx id),
FORBIDDEN for who is not allowed (unknown or invalid creator, bad signature, not a channel writer),
REQUEST_ENTITY_TOO_LARGE for envelopes above the channel's absolute_max_bytes.
Nothing here raises on malformed input; every failure is a `Rejected` with a status. Decoding and authenticating
the envelope is common/envelope.py's; this module maps its faults to broadcast statuses and adds the orderer's own
rules (size, header type, channel, the Writers policy).

Costs: the size check comes first (free), the single Ed25519 verification last but one; creator certificates are
validated once and cached by the MSP, and the Writers decision is cached per (MSP id, role).
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common import envelope as envelopes
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import EnvelopeError, Fault, header_type_name
from gridledger.common.msp import Member
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


# What an envelope's fault answers at the orderer's boundary.
BROADCAST_STATUS = {Fault.MALFORMED: BAD_REQUEST, Fault.WRONG_TYPE: BAD_REQUEST, Fault.WRONG_CHANNEL: BAD_REQUEST,
                    Fault.BAD_TX_ID: BAD_REQUEST, Fault.BAD_CREATOR: FORBIDDEN, Fault.BAD_SIGNATURE: FORBIDDEN}


def rejected(error: EnvelopeError) -> Rejected:
    return Rejected(BROADCAST_STATUS[error.fault], str(error))


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
        try:
            opened = envelopes.open_envelope(envelope)
            header = opened.header
            if header.type != transaction_pb2.ENDORSER_TRANSACTION:
                raise Rejected(BAD_REQUEST, f"header type {header_type_name(header.type)} cannot be broadcast; "
                                            "only ENDORSER_TRANSACTION is ordered")
            if header.channel_id != self._context.channel_id:
                raise Rejected(BAD_REQUEST, f"channel {header.channel_id!r} is not served by this orderer "
                                            f"(it orders {self._context.channel_id!r})")
            envelopes.check_tx_id(header)
            member = envelopes.authenticate(self._context, opened)
        except EnvelopeError as error:
            raise rejected(error) from None
        self._writers.require(member)
