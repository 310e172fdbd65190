"""The stateless transaction checks at commit (peer/validation/txcheck.py) on envelopes assembled in memory: real
endorsements from an Endorser whose simulation outcome is fixed, assembled and signed with common/txbuilder.py.
Each check has its own validation code; the first failing check decides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gridledger.common import msp
from gridledger.common.channel import ChannelContext
from gridledger.common.txbuilder import new_proposal, sign_payload, transaction_payload
from gridledger.peer.definitions import Definition
from gridledger.peer.endorser import Endorser
from gridledger.peer.ledger import Ledger
from gridledger.peer.runtime import SimulationOutcome
from gridledger.peer.validation.txcheck import TxRejected, check_envelope
from gridledger.v1 import block_pb2, rwset_pb2, transaction_pb2
from tests.peer.support import CHANNEL, RecordingRuntime, member, rogue_identity

KV = Definition("kv", "1.0", 1, "cd" * 32, "OR('Org1MSP.peer', 'Org2MSP.peer')")


def written(key: str) -> rwset_pb2.TxReadWriteSet:
    rwset = rwset_pb2.TxReadWriteSet()
    rwset.ns_rwset.add(namespace="kv").writes.add(key=key, value=b"v")
    return rwset


@pytest.fixture
def endorse(context: ChannelContext, ledger: Ledger,
            raft_crypto: tuple[Path, Path]) -> Callable[..., list[transaction_pb2.ProposalResponse]]:
    """Endorsements of a proposal by the named peers, all with the same simulated outcome."""
    outcome = SimulationOutcome(written("k"), (), transaction_pb2.Response(status=200), KV)

    def run(signed: transaction_pb2.SignedProposal, *peers: tuple[str, str]) -> list[transaction_pb2.ProposalResponse]:
        return [Endorser(context, ledger, member(raft_crypto, msp_id, name), RecordingRuntime(outcome)).process(signed)
                for msp_id, name in peers]
    return run


PEERS = (("Org1MSP", "peer0-org1"), ("Org2MSP", "peer0-org2"))


def envelope(creator: msp.SigningIdentity, responses, prepared, signer: msp.SigningIdentity | None = None) -> bytes:
    payload = transaction_payload(prepared.header, prepared.invocation, responses)
    return sign_payload(signer or creator, payload).SerializeToString()


def code_of(raw: bytes, context: ChannelContext) -> tuple[str, str]:
    with pytest.raises(TxRejected) as raised:
        check_envelope(raw, context)
    return block_pb2.ValidationCode.Name(raised.value.code), str(raised.value)


def test_a_well_endorsed_transaction_passes(context: ChannelContext, user: msp.SigningIdentity, endorse) -> None:
    prepared = new_proposal(user, CHANNEL, "kv", "put", ["k", "v"])
    checked = check_envelope(envelope(user, endorse(prepared.signed, *PEERS), prepared), context)
    assert (checked.tx_id, checked.chaincode) == (prepared.tx_id, "kv")
    assert [(p.msp_id, p.role) for p in checked.endorsers] == [("Org1MSP", "peer"), ("Org2MSP", "peer")]
    assert checked.payload.chaincode.sequence == 1


def test_undecodable_bytes_are_a_bad_payload(context: ChannelContext) -> None:
    assert code_of(b"\xff\xff\xff", context)[0] == "BAD_PAYLOAD"
    assert code_of(transaction_pb2.Envelope().SerializeToString(), context) == ("BAD_PAYLOAD",
                                                                                "envelope has no payload")


def test_each_check_has_its_code(context: ChannelContext, user: msp.SigningIdentity, endorse,
                                 raft_crypto: tuple[Path, Path]) -> None:
    prepared = new_proposal(user, CHANNEL, "kv", "put", ["k", "v"])
    responses = endorse(prepared.signed, *PEERS)

    assert code_of(envelope(user, responses, prepared, signer=rogue_identity()), context) == (
        "BAD_SIGNATURE", "creator signature over the payload does not verify with the key of user1 (Org1MSP)")

    stranger = rogue_identity()
    theirs = new_proposal(stranger, CHANNEL, "kv", "put", ["k", "v"])
    # (no endorser would endorse the stranger's proposal; the creator is checked before the endorsements)
    assert code_of(envelope(stranger, responses, theirs), context)[0] == "BAD_CREATOR"

    elsewhere = new_proposal(user, "elsewhere", "kv", "put", ["k", "v"])
    assert code_of(envelope(user, responses, elsewhere), context) == ("BAD_PAYLOAD",
                                                                      "transaction for channel 'elsewhere'")

    other = new_proposal(user, CHANNEL, "kv", "put", ["k", "other"])  # endorsements of another proposal
    assert code_of(envelope(user, responses, other), context) == ("BAD_PAYLOAD",
                                                                  "endorsements are for a different proposal")


def test_endorsement_signatures_are_checked(context: ChannelContext, user: msp.SigningIdentity, endorse,
                                            raft_crypto: tuple[Path, Path]) -> None:
    prepared = new_proposal(user, CHANNEL, "kv", "put", ["k", "v"])
    responses = endorse(prepared.signed, *PEERS)
    responses[1].endorsement.signature = responses[0].endorsement.signature  # org2's slot, org1's signature
    assert code_of(envelope(user, responses, prepared), context) == (
        "BAD_SIGNATURE", "endorsement signature of peer0-org2 does not verify")

    by_a_client = endorse(prepared.signed, ("Org1MSP", "user1"))  # a client cannot endorse
    name, reason = code_of(envelope(user, by_a_client, prepared), context)
    assert name == "ENDORSEMENT_POLICY_FAILURE" and "peer" in reason


def test_a_repeated_endorser_counts_once(context: ChannelContext, user: msp.SigningIdentity, endorse) -> None:
    prepared = new_proposal(user, CHANNEL, "kv", "put", ["k", "v"])
    twice = endorse(prepared.signed, PEERS[0], PEERS[0])
    assert len(check_envelope(envelope(user, twice, prepared), context).endorsers) == 1
