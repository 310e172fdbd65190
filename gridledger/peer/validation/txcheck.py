"""The checks a transaction passes on its own, before any state is consulted (parallelisable across a block):
well-formed payload, known creator, creator's signature, proposal binding and endorsement signatures. Opening the
envelope is common/envelope.py's; its faults become validation codes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common import envelope as envelopes
from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import EnvelopeError, Fault
from gridledger.common.policy import Principal
from gridledger.common.txbuilder import endorsement_message
from gridledger.v1 import block_pb2, transaction_pb2

VALID = block_pb2.VALID


@dataclass(frozen=True)
class CheckedTx:
    """A transaction whose signatures check out, with the parts later stages need."""

    tx_id: str
    chaincode: str
    payload: transaction_pb2.ProposalResponsePayload
    endorsers: tuple[Principal, ...]


class TxRejected(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


# The validation code each envelope fault gets at commit; a tx id that is not bound to its creator is a bad payload.
VALIDATION_CODE = {Fault.MALFORMED: block_pb2.BAD_PAYLOAD, Fault.WRONG_TYPE: block_pb2.BAD_PAYLOAD,
                   Fault.WRONG_CHANNEL: block_pb2.BAD_PAYLOAD, Fault.BAD_TX_ID: block_pb2.BAD_PAYLOAD,
                   Fault.BAD_CREATOR: block_pb2.BAD_CREATOR, Fault.BAD_SIGNATURE: block_pb2.BAD_SIGNATURE}
CREATOR_ROLES = ("client", "admin", "peer")


def check_envelope(envelope_bytes: bytes, context: ChannelContext) -> CheckedTx:
    """Parse and authenticate one envelope; raise TxRejected with the validation code on the first failure."""
    try:
        return _check(envelope_bytes, context)
    except EnvelopeError as error:
        raise TxRejected(VALIDATION_CODE[error.fault], str(error)) from None


def _check(envelope_bytes: bytes, context: ChannelContext) -> CheckedTx:
    opened = envelopes.open_stored(envelope_bytes)
    header, payload = opened.header, opened.payload
    if header.type != transaction_pb2.ENDORSER_TRANSACTION:
        raise TxRejected(block_pb2.BAD_PAYLOAD, f"unsupported header type {envelopes.header_type_name(header.type)}")
    if header.channel_id != context.channel_id:
        raise TxRejected(block_pb2.BAD_PAYLOAD, f"transaction for channel {header.channel_id!r}")
    creator = envelopes.validate_creator(context, header.creator, CREATOR_ROLES)
    envelopes.check_tx_id(header)
    envelopes.verify_signature(creator, opened.envelope.payload, opened.envelope.signature,
                               "creator signature over the payload does not verify")
    transaction = envelopes.transaction_of(payload)
    invocation = envelopes.invocation_of(transaction)
    response_payload = envelopes.response_of(transaction)
    if response_payload.proposal_hash != hashing.proposal_hash(payload.header, transaction.invocation):
        raise TxRejected(block_pb2.BAD_PAYLOAD, "endorsements are for a different proposal")
    if response_payload.chaincode.name != invocation.chaincode:
        raise TxRejected(block_pb2.BAD_PAYLOAD, "endorsed chaincode differs from the invoked one")
    endorsers = _endorsers(transaction, context)
    return CheckedTx(header.tx_id, invocation.chaincode, response_payload, endorsers)


def _endorsers(transaction: transaction_pb2.Transaction, context: ChannelContext) -> tuple[Principal, ...]:
    """Distinct endorsing peers whose signatures verify; a bad endorsement signature rejects the transaction."""
    seen: set[bytes] = set()
    principals: list[Principal] = []
    for endorsement in transaction.endorsements:
        certificate = endorsement.endorser.certificate
        if certificate in seen:
            continue
        seen.add(certificate)
        try:
            member = context.msp.validate(endorsement.endorser, roles=("peer",))
        except msp.IdentityError as exc:
            raise TxRejected(block_pb2.ENDORSEMENT_POLICY_FAILURE, f"endorser: {exc}") from None
        message = endorsement_message(transaction.proposal_response_payload, certificate)
        if not member.verify(message, endorsement.signature):
            raise TxRejected(block_pb2.BAD_SIGNATURE, f"endorsement signature of {member.name} does not verify")
        principals.append(Principal(member.msp_id, member.role))
    return tuple(principals)
