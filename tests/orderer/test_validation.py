"""Envelope checks for Broadcast and request checks for Deliver: every rejection has the right status and says
exactly what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.common import msp
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.orderer.deliver import DeliverService, Refused, block_response
from gridledger.orderer.validation import EnvelopeValidator
from gridledger.v1 import orderer_pb2, peer_pb2, transaction_pb2
from tests.orderer import support


@pytest.fixture(scope="module")
def context(dev_crypto: Path) -> ChannelContext:
    return ChannelContext.from_config(config_from_block(support.make_genesis(dev_crypto)))


@pytest.fixture(scope="module")
def user(dev_crypto: Path) -> msp.SigningIdentity:
    return support.identity(dev_crypto, "Org1MSP", "user1")


def rogue_identity(msp_id: str = "Org1MSP") -> msp.SigningIdentity:
    pair = msp.issue_identity(msp.new_signing_ca(msp_id), "mallory", "client")
    return msp.SigningIdentity.from_pem(msp_id, pair.cert_pem, pair.key_pem)


def check(context: ChannelContext, envelope: transaction_pb2.Envelope) -> tuple[str, str]:
    verdict = EnvelopeValidator(context).check(envelope, envelope.ByteSize())
    return orderer_pb2.BroadcastStatus.Name(verdict.status), verdict.info


def test_valid_envelope_is_accepted(context: ChannelContext, user: msp.SigningIdentity) -> None:
    assert check(context, support.make_envelope(user, b"data")) == ("SUCCESS", "")


def test_peer_of_a_channel_org_is_a_writer(context: ChannelContext, dev_crypto: Path) -> None:
    peer = support.identity(dev_crypto, "Org1MSP", "peer0-org1")
    assert check(context, support.make_envelope(peer, b"data"))[0] == "SUCCESS"


@pytest.mark.parametrize(("build", "status", "info"), [
    (lambda u: transaction_pb2.Envelope(), "BAD_REQUEST", "no payload"),
    (lambda u: transaction_pb2.Envelope(payload=b"\xff\xff\xff", signature=b"x"), "BAD_REQUEST",
     "not a valid Payload"),
    (lambda u: transaction_pb2.Envelope(payload=transaction_pb2.Payload(data=b"d").SerializeToString()),
     "BAD_REQUEST", "no header"),
    (lambda u: transaction_pb2.Envelope(payload=transaction_pb2.Payload(header=b"\x0a\xff").SerializeToString()),
     "BAD_REQUEST", "not a valid Header"),
    (lambda u: support.make_envelope(u, b"d", header_type=transaction_pb2.CONFIG), "BAD_REQUEST",
     "header type CONFIG cannot be broadcast"),
    (lambda u: support.make_envelope(u, b"d", header_type=17), "BAD_REQUEST", "unknown header type 17"),
    (lambda u: support.make_envelope(u, b"d", channel_id="other"), "BAD_REQUEST",
     "channel 'other' is not served by this orderer (it orders 'energy')"),
    (lambda u: support.make_envelope(u, b"d", tx_id="abc"), "BAD_REQUEST", "tx_id 'abc' is not"),
    (lambda u: support.make_envelope(u, b"d", signer=rogue_identity()), "FORBIDDEN",
     "envelope signature does not verify over the payload with the key of user1 (Org1MSP)"),
    (lambda u: support.make_envelope(rogue_identity(), b"d"), "FORBIDDEN",
     "creator is not a valid member of channel 'energy': certificate signature does not verify against the "
     "Org1MSP CA"),
    (lambda u: support.make_envelope(rogue_identity("Org9MSP"), b"d"), "FORBIDDEN",
     "unknown organisation 'Org9MSP'"),
    (lambda u: support.make_envelope(u, b"x" * support.ABSOLUTE_MAX_BYTES), "REQUEST_ENTITY_TOO_LARGE",
     f"exceeds the channel's absolute_max_bytes of {support.ABSOLUTE_MAX_BYTES}"),
])
def test_rejections(context: ChannelContext, user: msp.SigningIdentity, build, status: str, info: str) -> None:
    got_status, got_info = check(context, build(user))
    assert got_status == status
    assert info in got_info


def test_missing_signature_and_nonce(context: ChannelContext, user: msp.SigningIdentity) -> None:
    envelope = support.make_envelope(user, b"d")
    envelope.signature = b""
    assert check(context, envelope)[0] == "FORBIDDEN"
    header = transaction_pb2.Header(type=transaction_pb2.ENDORSER_TRANSACTION, channel_id="energy",
                                    creator=user.serialized())
    payload = transaction_pb2.Payload(header=header.SerializeToString()).SerializeToString()
    status, info = check(context, transaction_pb2.Envelope(payload=payload, signature=user.sign(payload)))
    assert (status, info) == ("BAD_REQUEST", "header has no nonce")


def test_orderer_org_admin_is_not_a_writer(context: ChannelContext, dev_crypto: Path) -> None:
    admin = support.identity(dev_crypto, "OrdererMSP", "admin")
    status, info = check(context, support.make_envelope(admin, b"d"))
    assert status == "FORBIDDEN"
    assert "admin (OrdererMSP, role admin) does not satisfy the Writers policy" in info


# ---------------------------------------------------------------------------------------------------------------
# Deliver requests


def deliver_check(context: ChannelContext, request: transaction_pb2.Envelope | bytes) -> peer_pb2.SeekInfo:
    raw = request if isinstance(request, bytes) else request.SerializeToString()
    return DeliverService(context, chain=None).check_request(raw)[0]  # type: ignore[arg-type]


def test_deliver_accepts_readers_peers_and_orderers(context: ChannelContext, user: msp.SigningIdentity,
                                                     dev_crypto: Path) -> None:
    assert deliver_check(context, support.seek_request(user, 3, 7)).stop == 7
    for msp_id, name in (("Org1MSP", "peer0-org1"), ("OrdererMSP", "orderer0")):
        assert deliver_check(context, support.seek_request(support.identity(dev_crypto, msp_id, name))).start == 0


@pytest.mark.parametrize(("build", "status", "info"), [
    (lambda u: b"\xff\xff", "BAD_REQUEST", "not a valid Envelope"),
    (lambda u: transaction_pb2.Envelope(), "BAD_REQUEST", "no payload"),
    (lambda u: support.seek_request(u, channel_id="other"), "NOT_FOUND", "channel 'other' is not served"),
    (lambda u: support.seek_request(u, seek_channel="other"), "BAD_REQUEST", "SeekInfo names channel 'other'"),
    (lambda u: support.seek_request(u, signer=rogue_identity()), "FORBIDDEN", "signature does not verify"),
    (lambda u: support.seek_request(rogue_identity()), "FORBIDDEN", "does not verify against the Org1MSP CA"),
    (lambda u: support.seek_request(u, start=5, stop=2), "BAD_REQUEST", "start 5 is not before stop 2"),
])
def test_deliver_rejections(context: ChannelContext, user: msp.SigningIdentity, build, status: str,
                            info: str) -> None:
    with pytest.raises(Refused) as refused:
        deliver_check(context, build(user))
    assert refused.value.status == status
    assert info in refused.value.info


def test_deliver_refuses_a_non_reader(context: ChannelContext, dev_crypto: Path) -> None:
    admin = support.identity(dev_crypto, "OrdererMSP", "admin")
    with pytest.raises(Refused) as refused:
        deliver_check(context, support.seek_request(admin))
    assert refused.value.status == "FORBIDDEN" and "Readers policy" in refused.value.info


@pytest.mark.parametrize("size", [0, 1, 127, 128, 300, 16_384, 2_000_000])
def test_block_response_framing_parses_as_deliver_response(size: int) -> None:
    block = peer_pb2.DeliverResponse(block={"data": {"envelopes": [b"z" * size]}}).block
    raw = block.SerializeToString()
    parsed = peer_pb2.DeliverResponse.FromString(block_response(raw))
    assert parsed.WhichOneof("kind") == "block" and parsed.block == block
