"""common/envelope.py: envelopes, proposals and deliver requests open once, and every way they can be wrong is one
EnvelopeError with the right fault; random bytes never raise anything else."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridledger.common import envelope as envelopes
from gridledger.common import material, msp
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.envelope import EnvelopeError, Fault
from gridledger.common.txbuilder import new_proposal
from gridledger.ops import genesis
from gridledger.ops.netconfig import load_network
from gridledger.v1 import transaction_pb2
from tests.orderer import support


@pytest.fixture(scope="module")
def context(raft_crypto: tuple[Path, Path]) -> ChannelContext:
    network_file, crypto = raft_crypto
    network = load_network(network_file)
    config = genesis.build_channel_config(network, crypto)
    block = genesis.genesis_block(config, material.load_admin(crypto, network.orderer_msp_ids[0]))
    return ChannelContext.from_config(config_from_block(block))


@pytest.fixture(scope="module")
def user(raft_crypto: tuple[Path, Path]) -> msp.SigningIdentity:
    return material.load_identity(raft_crypto[1], "Org1MSP", "user1")


def rogue(msp_id: str = "Org1MSP") -> msp.SigningIdentity:
    pair = msp.issue_identity(msp.new_signing_ca(msp_id), "mallory", "client")
    return msp.SigningIdentity.from_pem(msp_id, pair.cert_pem, pair.key_pem)


def fault_of(call) -> tuple[Fault, str]:
    with pytest.raises(EnvelopeError) as raised:
        call()
    return raised.value.fault, str(raised.value)


def test_a_good_envelope_opens_and_authenticates(context: ChannelContext, user: msp.SigningIdentity) -> None:
    envelope = support.make_envelope(user, b"data")
    opened = envelopes.open_stored(envelope.SerializeToString())
    envelopes.check_tx_id(opened.header)
    member = envelopes.authenticate(context, opened)
    assert (opened.payload.data, member.name, member.msp_id) == (b"data", "user1", "Org1MSP")


@pytest.mark.parametrize(("build", "fault", "message"), [
    (lambda u: transaction_pb2.Envelope(), Fault.MALFORMED, "envelope has no payload"),
    (lambda u: transaction_pb2.Envelope(payload=b"\xff\xff"), Fault.MALFORMED, "not a valid Payload message"),
    (lambda u: transaction_pb2.Envelope(payload=transaction_pb2.Payload(data=b"d").SerializeToString()),
     Fault.MALFORMED, "payload has no header"),
    (lambda u: transaction_pb2.Envelope(payload=transaction_pb2.Payload(header=b"\x0a\xff").SerializeToString()),
     Fault.MALFORMED, "payload header is not a valid Header message"),
])
def test_envelopes_that_do_not_open(user: msp.SigningIdentity, build, fault: Fault, message: str) -> None:
    got, text = fault_of(lambda: envelopes.open_envelope(build(user)))
    assert got == fault and message in text


@pytest.mark.parametrize(("build", "fault", "message"), [
    (lambda u: support.make_envelope(u, b"d", signer=rogue()), Fault.BAD_SIGNATURE,
     "envelope signature does not verify over the payload with the key of user1 (Org1MSP)"),
    (lambda u: support.make_envelope(rogue(), b"d"), Fault.BAD_CREATOR,
     "creator is not a valid member of channel 'energy'"),
    (lambda u: support.make_envelope(rogue("Org9MSP"), b"d"), Fault.BAD_CREATOR, "unknown organisation 'Org9MSP'"),
])
def test_envelopes_that_do_not_authenticate(context: ChannelContext, user: msp.SigningIdentity, build,
                                            fault: Fault, message: str) -> None:
    opened = envelopes.open_envelope(build(user))
    got, text = fault_of(lambda: envelopes.authenticate(context, opened))
    assert got == fault and message in text


def test_the_creator_role_is_enforced(context: ChannelContext, user: msp.SigningIdentity) -> None:
    opened = envelopes.open_envelope(support.make_envelope(user, b"d"))
    got, text = fault_of(lambda: envelopes.authenticate(context, opened, roles=("admin",)))
    assert got == Fault.BAD_CREATOR and "admin" in text


def test_tx_id_must_bind_nonce_and_creator(user: msp.SigningIdentity) -> None:
    header = envelopes.open_envelope(support.make_envelope(user, b"d", tx_id="abc")).header
    assert fault_of(lambda: envelopes.check_tx_id(header)) == (
        Fault.BAD_TX_ID, "tx_id 'abc' is not hex(SHA-256(nonce || creator certificate))")
    header.ClearField("nonce")
    assert fault_of(lambda: envelopes.check_tx_id(header)) == (Fault.BAD_TX_ID, "header has no nonce")


def test_a_signed_proposal_opens_and_authenticates(context: ChannelContext, user: msp.SigningIdentity) -> None:
    prepared = new_proposal(user, "energy", "kv", "put", ["k", "v"])
    opened = envelopes.open_proposal(prepared.signed)
    assert (opened.invocation.chaincode, opened.invocation.function, opened.header.tx_id) == ("kv", "put",
                                                                                              prepared.tx_id)
    assert envelopes.authenticate_proposal(context, opened).name == "user1"
    forged = transaction_pb2.SignedProposal(proposal_bytes=prepared.signed.proposal_bytes,
                                            signature=rogue().sign(prepared.signed.proposal_bytes))
    assert fault_of(lambda: envelopes.authenticate_proposal(context, envelopes.open_proposal(forged)))[0] == \
        Fault.BAD_SIGNATURE


@pytest.mark.parametrize(("proposal", "fault", "message"), [
    (transaction_pb2.Proposal(header=b"\x0a\xff"), Fault.MALFORMED, "proposal header is not a valid Header"),
    (transaction_pb2.Proposal(header=transaction_pb2.Header(type=transaction_pb2.CONFIG).SerializeToString()),
     Fault.WRONG_TYPE, "must be ENDORSER_TRANSACTION, not CONFIG"),
    (transaction_pb2.Proposal(header=transaction_pb2.Header(
        type=transaction_pb2.ENDORSER_TRANSACTION).SerializeToString()), Fault.MALFORMED, "names no chaincode"),
])
def test_proposals_that_do_not_open(proposal: transaction_pb2.Proposal, fault: Fault, message: str) -> None:
    signed = transaction_pb2.SignedProposal(proposal_bytes=proposal.SerializeToString())
    got, text = fault_of(lambda: envelopes.open_proposal(signed))
    assert got == fault and message in text


def test_seek_requests(context: ChannelContext, user: msp.SigningIdentity) -> None:
    seek, member = envelopes.open_seek(support.seek_request(user, 3, 9), context, "peer")
    assert (seek.start, seek.stop, member.name) == (3, 9, "user1")
    assert fault_of(lambda: envelopes.open_seek(support.seek_request(user, channel_id="other"), context, "peer")) \
        == (Fault.WRONG_CHANNEL, "channel 'other' is not served by this peer (it serves 'energy')")
    assert fault_of(lambda: envelopes.open_seek(support.seek_request(user, seek_channel="x"), context, "peer"))[0] \
        == Fault.MALFORMED
    assert fault_of(lambda: envelopes.open_seek(support.seek_request(user, signer=rogue()), context, "peer"))[0] \
        == Fault.BAD_SIGNATURE


def test_every_fault_has_a_deliver_status() -> None:
    assert set(envelopes.DELIVER_STATUS) == set(Fault)


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=300))
def test_random_bytes_raise_only_envelope_errors(context: ChannelContext, raw: bytes) -> None:
    """Whatever arrives, opening it either succeeds or raises EnvelopeError: never a protobuf or X.509 error."""
    for attempt in (
        lambda: envelopes.authenticate(context, envelopes.open_stored(raw)),
        lambda: envelopes.open_proposal(transaction_pb2.SignedProposal(proposal_bytes=raw)),
        lambda: envelopes.open_seek(envelopes.decode(transaction_pb2.Envelope, raw, "request"), context, "peer"),
    ):
        with contextlib.suppress(EnvelopeError):
            attempt()
