"""The endorser on in-memory inputs (tests/peer/conftest.py): proposals built with common/txbuilder.py, no network
and no chaincode worker (`_lifecycle` runs in the peer's own process, and a recording runtime stands in where the
test is about what the endorser does with a simulation's outcome)."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from gridledger.common import msp
from gridledger.common.channel import ChannelContext
from gridledger.common.txbuilder import endorsement_message, new_proposal
from gridledger.peer.definitions import Definition
from gridledger.peer.endorser import Endorser, ProposalError
from gridledger.peer.ledger import Ledger
from gridledger.peer.runtime import ChaincodeNotCommitted, SimulationOutcome
from gridledger.v1 import rwset_pb2, transaction_pb2
from tests.peer.support import CHANNEL, RecordingRuntime, member, rogue_identity


def refusal(endorser: Endorser, signed: transaction_pb2.SignedProposal) -> ProposalError:
    with pytest.raises(ProposalError) as raised:
        endorser.process(signed)
    return raised.value


def test_a_lifecycle_query_is_endorsed_and_signed_by_the_peer(endorser: Endorser, context: ChannelContext,
                                                              user: msp.SigningIdentity,
                                                              peer: msp.SigningIdentity) -> None:
    response = endorser.process(new_proposal(user, CHANNEL, "_lifecycle", "definitions").signed)
    assert response.response.status == 200 and response.response.payload == b"[]"
    payload = transaction_pb2.ProposalResponsePayload.FromString(response.payload)
    assert (payload.chaincode.name, payload.chaincode.version) == ("_lifecycle", "builtin")
    assert response.endorsement.endorser.certificate == peer.certificate
    endorsing_peer = context.msp.validate(response.endorsement.endorser, roles=("peer",))
    assert endorsing_peer.verify(endorsement_message(response.payload, peer.certificate),
                                 response.endorsement.signature)


def test_a_refused_chaincode_call_is_answered_but_not_endorsed(endorser: Endorser, user: msp.SigningIdentity) -> None:
    response = endorser.process(new_proposal(user, CHANNEL, "_lifecycle", "nosuchfunction").signed)
    assert response.response.status == 400 and "no function 'nosuchfunction'" in response.response.message
    assert not response.payload and not response.endorsement.signature


def test_proposals_the_endorser_refuses(endorser: Endorser, user: msp.SigningIdentity,
                                        raft_crypto: tuple[Path, Path]) -> None:
    good = new_proposal(user, CHANNEL, "_lifecycle", "definitions").signed
    cases = [
        (transaction_pb2.SignedProposal(proposal_bytes=b"\xff\xff"), grpc.StatusCode.INVALID_ARGUMENT,
         "proposal is not a valid Proposal message"),
        (new_proposal(user, "elsewhere", "_lifecycle", "definitions").signed, grpc.StatusCode.NOT_FOUND,
         "this peer has no channel 'elsewhere'"),
        (transaction_pb2.SignedProposal(proposal_bytes=good.proposal_bytes,
                                        signature=rogue_identity().sign(good.proposal_bytes)),
         grpc.StatusCode.UNAUTHENTICATED, "proposal signature does not verify with the key of user1 (Org1MSP)"),
        (new_proposal(rogue_identity(), CHANNEL, "_lifecycle", "definitions").signed,
         grpc.StatusCode.UNAUTHENTICATED, "creator is not a valid member of channel 'energy'"),
        (new_proposal(member(raft_crypto, "OrdererMSP", "orderer0"), CHANNEL, "_lifecycle", "definitions").signed,
         grpc.StatusCode.UNAUTHENTICATED, "this needs one of client, admin, peer"),
        (new_proposal(member(raft_crypto, "OrdererMSP", "admin"), CHANNEL, "_lifecycle", "definitions").signed,
         grpc.StatusCode.PERMISSION_DENIED, "may not write to channel energy"),
    ]
    for signed, code, message in cases:
        error = refusal(endorser, signed)
        assert error.code == code and message in str(error), (code, message, error.code, str(error))


def test_the_endorsement_names_the_definition_the_simulation_ran_under(
        context: ChannelContext, ledger: Ledger, peer: msp.SigningIdentity, user: msp.SigningIdentity) -> None:
    """The ledger holds no definition of `kv` at all: whatever the endorsement names can only come from the
    simulation's own read, passed along with its outcome."""
    definition = Definition("kv", "2.1", 7, "ab" * 32, "OR('Org1MSP.peer')")
    outcome = SimulationOutcome(rwset_pb2.TxReadWriteSet(), (), transaction_pb2.Response(status=200), definition)
    runtime = RecordingRuntime(outcome)
    endorsed = Endorser(context, ledger, peer, runtime).endorse(new_proposal(user, CHANNEL, "kv", "put").signed)
    reference = transaction_pb2.ProposalResponsePayload.FromString(endorsed.response.payload).chaincode
    assert (reference.name, reference.version, reference.sequence) == ("kv", "2.1", 7)
    assert endorsed.definition == definition and runtime.calls == ["kv"]


def test_a_chaincode_without_a_definition_is_not_found(context: ChannelContext, ledger: Ledger,
                                                       peer: msp.SigningIdentity, user: msp.SigningIdentity) -> None:
    runtime = RecordingRuntime(ChaincodeNotCommitted("chaincode 'nothere' is not committed"))
    error = refusal(Endorser(context, ledger, peer, runtime), new_proposal(user, CHANNEL, "nothere", "put").signed)
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert str(error) == ("chaincode 'nothere' is not committed on channel energy; deploy it with "
                          "`gridledger chaincode deploy`")


def test_a_proposal_is_refused_before_anything_runs(context: ChannelContext, ledger: Ledger,
                                                    peer: msp.SigningIdentity) -> None:
    runtime = RecordingRuntime(RuntimeError("must not be called"))
    forged = new_proposal(rogue_identity(), CHANNEL, "kv", "put").signed
    assert refusal(Endorser(context, ledger, peer, runtime), forged).code == grpc.StatusCode.UNAUTHENTICATED
    assert runtime.calls == []
