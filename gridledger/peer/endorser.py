"""The endorser: checks a signed proposal, simulates the chaincode on a snapshot of the state and signs the
outcome (response and read/write set). Nothing is written to the ledger here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc
from google.protobuf.message import DecodeError

from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.common.policy import Principal
from gridledger.common.txbuilder import endorsement_message
from gridledger.peer.definitions import LIFECYCLE_NAMESPACE, read_definition
from gridledger.v1 import transaction_pb2

log = logging.getLogger(__name__)
MAX_CLOCK_SKEW_NS = 15 * 60 * 10**9


class ProposalError(Exception):
    """A proposal the endorser refuses; `code` is the gRPC status to answer with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedProposal:
    signed: transaction_pb2.SignedProposal
    proposal: transaction_pb2.Proposal
    header_bytes: bytes
    header: transaction_pb2.Header
    invocation: transaction_pb2.ChaincodeInvocation


def parse_signed_proposal(signed: transaction_pb2.SignedProposal) -> ParsedProposal:
    """Decode the nested messages of a proposal; malformed bytes are INVALID_ARGUMENT."""
    try:
        proposal = transaction_pb2.Proposal.FromString(signed.proposal_bytes)
        header = transaction_pb2.Header.FromString(proposal.header)
        invocation = transaction_pb2.ChaincodeInvocation.FromString(proposal.invocation)
    except (DecodeError, ValueError) as exc:
        raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, f"malformed proposal: {exc}") from None
    if header.type != transaction_pb2.ENDORSER_TRANSACTION:
        raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, "proposal header type must be ENDORSER_TRANSACTION")
    if not invocation.chaincode or not invocation.function:
        raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, "proposal names no chaincode or function")
    return ParsedProposal(signed, proposal, proposal.header, header, invocation)


class Endorser:
    """Endorses proposals for one channel. Thread-safe: the gateway calls it from an executor."""

    def __init__(self, context: ChannelContext, ledger, identity: msp.SigningIdentity, runtime) -> None:
        self.context = context
        self._ledger = ledger
        self._identity = identity
        self._certificate = identity.certificate
        self._runtime = runtime

    def authenticate(self, parsed: ParsedProposal) -> msp.Member:
        """Creator, signature, channel, txid binding, freshness and uniqueness, and the Writers ACL."""
        header = parsed.header
        if header.channel_id != self.context.channel_id:
            raise ProposalError(grpc.StatusCode.NOT_FOUND, f"this peer has no channel {header.channel_id!r}")
        try:
            creator = self.context.msp.validate(header.creator, roles=("client", "admin", "peer"))
        except msp.IdentityError as exc:
            raise ProposalError(grpc.StatusCode.UNAUTHENTICATED, f"creator: {exc}") from None
        if not creator.verify(parsed.signed.proposal_bytes, parsed.signed.signature):
            raise ProposalError(grpc.StatusCode.UNAUTHENTICATED, "proposal signature does not verify")
        if hashing.tx_id(header.nonce, header.creator.certificate) != header.tx_id:
            raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, "tx_id is not SHA-256(nonce || creator)")
        if self._ledger.has_tx(header.tx_id):
            raise ProposalError(grpc.StatusCode.ALREADY_EXISTS, f"transaction {header.tx_id} was already committed")
        if not self.context.policies["Writers"].evaluate([Principal(creator.msp_id, creator.role)]):
            raise ProposalError(grpc.StatusCode.PERMISSION_DENIED,
                                f"{creator.name} ({creator.msp_id}) may not write to channel {header.channel_id}")
        return creator

    def process(self, signed: transaction_pb2.SignedProposal) -> transaction_pb2.ProposalResponse:
        parsed = parse_signed_proposal(signed)
        creator = self.authenticate(parsed)
        chaincode = parsed.invocation.chaincode
        if chaincode == LIFECYCLE_NAMESPACE:
            reference = transaction_pb2.ChaincodeRef(name=LIFECYCLE_NAMESPACE, version="builtin")
        else:
            definition = read_definition(self._ledger.get_state, chaincode)
            if definition is None:
                raise ProposalError(grpc.StatusCode.NOT_FOUND, f"chaincode {chaincode!r} is not committed on channel "
                                    f"{self.context.channel_id}")
            reference = transaction_pb2.ChaincodeRef(name=chaincode, version=definition.version,
                                                     sequence=definition.sequence)
        outcome = self._runtime.simulate(parsed, creator)
        payload = transaction_pb2.ProposalResponsePayload(
            proposal_hash=hashing.proposal_hash(parsed.header_bytes, parsed.proposal.invocation),
            chaincode=reference, results=outcome.rwset, events=outcome.events, response=outcome.response,
        ).SerializeToString()
        if outcome.response.status >= 400:
            return transaction_pb2.ProposalResponse(response=outcome.response)
        signature = self._identity.sign(endorsement_message(payload, self._certificate))
        endorsement = transaction_pb2.Endorsement(endorser=self._identity.serialized(), signature=signature)
        return transaction_pb2.ProposalResponse(response=outcome.response, payload=payload, endorsement=endorsement)

