"""The checks a transaction passes on its own, before any state is consulted (parallelisable across a block):
well-formed payload, known creator, creator's signature, proposal binding and endorsement signatures.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError

from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
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


def _decode(message_type, data: bytes, what: str):
    try:
        return message_type.FromString(data)
    except (DecodeError, ValueError) as exc:
        raise TxRejected(block_pb2.BAD_PAYLOAD, f"malformed {what}: {exc}") from None


def check_envelope(envelope_bytes: bytes, context: ChannelContext) -> CheckedTx:
    """Parse and authenticate one envelope; raise TxRejected with the validation code on the first failure."""
    envelope = _decode(transaction_pb2.Envelope, envelope_bytes, "envelope")
    payload = _decode(transaction_pb2.Payload, envelope.payload, "payload")
    header = _decode(transaction_pb2.Header, payload.header, "header")
    if header.type != transaction_pb2.ENDORSER_TRANSACTION:
        raise TxRejected(block_pb2.BAD_PAYLOAD, f"unsupported header type {header.type}")
    if header.channel_id != context.channel_id:
        raise TxRejected(block_pb2.BAD_PAYLOAD, f"transaction for channel {header.channel_id!r}")
    try:
        creator = context.msp.validate(header.creator, roles=("client", "admin", "peer"))
    except msp.IdentityError as exc:
        raise TxRejected(block_pb2.BAD_CREATOR, str(exc)) from None
    if hashing.tx_id(header.nonce, header.creator.certificate) != header.tx_id:
        raise TxRejected(block_pb2.BAD_PAYLOAD, "tx_id is not SHA-256(nonce || creator)")
    if not creator.verify(envelope.payload, envelope.signature):
        raise TxRejected(block_pb2.BAD_SIGNATURE, "creator signature over the payload does not verify")
    transaction = _decode(transaction_pb2.Transaction, payload.data, "transaction")
    invocation = _decode(transaction_pb2.ChaincodeInvocation, transaction.invocation, "invocation")
    response_payload = _decode(transaction_pb2.ProposalResponsePayload, transaction.proposal_response_payload,
                               "proposal response payload")
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
