"""The endorser: checks a signed proposal, simulates the chaincode on a snapshot of the state and signs the
outcome (response and read/write set). Nothing is written to the ledger here. The chaincode definition named in
the endorsement is the one the simulation read from its snapshot (peer/runtime.py), read once per proposal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import grpc

from gridledger.common import envelope as envelopes
from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import EnvelopeError, Fault, OpenedProposal
from gridledger.common.policy import Principal
from gridledger.common.txbuilder import endorsement_message
from gridledger.peer.definitions import LIFECYCLE_NAMESPACE, Definition
from gridledger.peer.metrics import PeerMetrics
from gridledger.peer.runtime import ChaincodeNotCommitted
from gridledger.v1 import transaction_pb2


class ProposalError(Exception):
    """A proposal the endorser refuses; `code` is the gRPC status to answer with."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# The gRPC status each proposal fault answers with.
PROPOSAL_STATUS = {Fault.MALFORMED: grpc.StatusCode.INVALID_ARGUMENT,
                   Fault.WRONG_TYPE: grpc.StatusCode.INVALID_ARGUMENT,
                   Fault.BAD_TX_ID: grpc.StatusCode.INVALID_ARGUMENT,
                   Fault.WRONG_CHANNEL: grpc.StatusCode.NOT_FOUND,
                   Fault.BAD_CREATOR: grpc.StatusCode.UNAUTHENTICATED,
                   Fault.BAD_SIGNATURE: grpc.StatusCode.UNAUTHENTICATED}
CREATOR_ROLES = ("client", "admin", "peer")


def proposal_error(error: EnvelopeError) -> ProposalError:
    return ProposalError(PROPOSAL_STATUS[error.fault], str(error))


def open_signed_proposal(signed: transaction_pb2.SignedProposal) -> OpenedProposal:
    """Decode the nested messages of a proposal; malformed bytes are INVALID_ARGUMENT."""
    try:
        return envelopes.open_proposal(signed)
    except EnvelopeError as error:
        raise proposal_error(error) from None


@dataclass(frozen=True)
class Endorsed:
    """One endorsement and the chaincode definition the simulation ran under (None for `_lifecycle`): the gateway
    picks the other endorsers by that definition's policy, so selection and simulation cannot disagree."""

    response: transaction_pb2.ProposalResponse
    definition: Definition | None


class Endorser:
    """Endorses proposals for one channel. Thread-safe: the gateway calls it from an executor."""

    def __init__(self, context: ChannelContext, ledger, identity: msp.SigningIdentity, runtime,
                 metrics: PeerMetrics | None = None) -> None:
        self.context = context
        self._metrics = metrics or PeerMetrics()
        self._ledger = ledger
        self._identity = identity
        self._certificate = identity.certificate
        self._runtime = runtime

    def authenticate(self, opened: OpenedProposal) -> msp.Member:
        """Channel, creator, signature, txid binding and uniqueness, and the Writers ACL."""
        header = opened.header
        if header.channel_id != self.context.channel_id:
            raise ProposalError(grpc.StatusCode.NOT_FOUND, f"this peer has no channel {header.channel_id!r}")
        try:
            creator = envelopes.authenticate_proposal(self.context, opened, CREATOR_ROLES)
            envelopes.check_tx_id(header)
        except EnvelopeError as error:
            raise proposal_error(error) from None
        if self._ledger.has_tx(header.tx_id):
            raise ProposalError(grpc.StatusCode.ALREADY_EXISTS, f"transaction {header.tx_id} was already committed")
        if not self.context.policies["Writers"].evaluate([Principal(creator.msp_id, creator.role)]):
            raise ProposalError(grpc.StatusCode.PERMISSION_DENIED,
                                f"{creator.name} ({creator.msp_id}) may not write to channel {header.channel_id}")
        return creator

    def process(self, signed: transaction_pb2.SignedProposal) -> transaction_pb2.ProposalResponse:
        return self.endorse(signed).response

    def endorse(self, signed: transaction_pb2.SignedProposal) -> Endorsed:
        """Refusals (ProposalError) are not timed: they end before the chaincode runs."""
        started = time.perf_counter()
        endorsed = self._endorse(signed)
        self._metrics.endorse.observe(time.perf_counter() - started)
        return endorsed

    def _endorse(self, signed: transaction_pb2.SignedProposal) -> Endorsed:
        opened = open_signed_proposal(signed)
        creator = self.authenticate(opened)
        simulating = time.perf_counter()
        try:
            outcome = self._runtime.simulate(opened, creator)
        except ChaincodeNotCommitted as exc:
            raise ProposalError(grpc.StatusCode.NOT_FOUND, f"{exc} on channel {self.context.channel_id}; deploy it "
                                "with `gridledger chaincode deploy`") from None
        # Labelled only after the simulation found a committed definition: clients cannot add label values.
        self._metrics.chaincode_execute.labels(opened.invocation.chaincode).observe(time.perf_counter() - simulating)
        definition = outcome.definition
        if definition is None:
            reference = transaction_pb2.ChaincodeRef(name=LIFECYCLE_NAMESPACE, version="builtin")
        else:
            reference = transaction_pb2.ChaincodeRef(name=definition.name, version=definition.version,
                                                     sequence=definition.sequence)
        payload = transaction_pb2.ProposalResponsePayload(
            proposal_hash=hashing.proposal_hash(opened.header_bytes, opened.proposal.invocation),
            chaincode=reference, results=outcome.rwset, events=outcome.events, response=outcome.response,
        ).SerializeToString()
        if outcome.response.status >= 400:
            return Endorsed(transaction_pb2.ProposalResponse(response=outcome.response), definition)
        signature = self._identity.sign(endorsement_message(payload, self._certificate))
        endorsement = transaction_pb2.Endorsement(endorser=self._identity.serialized(), signature=signature)
        return Endorsed(transaction_pb2.ProposalResponse(response=outcome.response, payload=payload,
                                                         endorsement=endorsement), definition)
