import datetime as dt

import pytest

from gridledger.common import clock, msp


@pytest.fixture(scope="module")
def org1_ca() -> msp.KeyPair:
    return msp.new_signing_ca("Org1MSP")


def serialized(msp_id: str, pair: msp.KeyPair):
    return msp.SigningIdentity.from_pem(msp_id, pair.cert_pem, pair.key_pem).serialized()


def test_valid_member_with_role_and_signature(org1_ca: msp.KeyPair) -> None:
    pair = msp.issue_identity(org1_ca, "peer0", "peer")
    identity = msp.SigningIdentity.from_pem("Org1MSP", pair.cert_pem, pair.key_pem)
    member = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)]).validate(identity.serialized(),
                                                                                roles=("peer",))
    assert (member.msp_id, member.role, member.name) == ("Org1MSP", "peer", "peer0")
    assert member.verify(b"x", identity.sign(b"x"))


def test_certificate_from_another_orgs_ca_is_rejected(org1_ca: msp.KeyPair) -> None:
    other = msp.new_signing_ca("Org1MSP")  # same name, different key: an impostor CA
    pair = msp.issue_identity(other, "peer0", "peer")
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    with pytest.raises(msp.IdentityError, match="does not verify"):
        members.validate(serialized("Org1MSP", pair))


def test_certificate_presented_under_another_msp_id_is_rejected(org1_ca: msp.KeyPair) -> None:
    org2_ca = msp.new_signing_ca("Org2MSP")
    pair = msp.issue_identity(org1_ca, "peer0", "peer")
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem), msp.Organization("Org2MSP", org2_ca.cert_pem)])
    with pytest.raises(msp.IdentityError, match="not issued by the Org2MSP CA"):
        members.validate(serialized("Org2MSP", pair))


def test_unknown_org_is_rejected(org1_ca: msp.KeyPair) -> None:
    pair = msp.issue_identity(org1_ca, "peer0", "peer")
    with pytest.raises(msp.IdentityError, match="unknown organisation 'Org9MSP'"):
        msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)]).validate(serialized("Org9MSP", pair))


def test_expired_and_not_yet_valid(org1_ca: msp.KeyPair) -> None:
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    expired = msp.issue_identity(org1_ca, "old", "client", not_before=past, validity=dt.timedelta(days=1))
    with pytest.raises(msp.IdentityError, match="expired"):
        members.validate(serialized("Org1MSP", expired))
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    early = msp.issue_identity(org1_ca, "early", "client", not_before=future)
    with pytest.raises(msp.IdentityError, match="not valid before"):
        members.validate(serialized("Org1MSP", early))


def test_expiry_is_checked_on_every_use_even_when_cached(org1_ca: msp.KeyPair) -> None:
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    pair = msp.issue_identity(org1_ca, "short", "client", validity=dt.timedelta(days=1))
    members.validate(serialized("Org1MSP", pair))
    with pytest.raises(msp.IdentityError, match="expired"):
        members.validate(serialized("Org1MSP", pair), now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))


def test_validity_is_judged_to_the_microsecond_at_both_ends(org1_ca: msp.KeyPair) -> None:
    """The check compares integer nanoseconds; the certificate's own bounds (whole seconds) are inclusive."""
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    start = dt.datetime(2030, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    pair = msp.issue_identity(org1_ca, "edges", "client", not_before=start, validity=dt.timedelta(days=1))
    identity = serialized("Org1MSP", pair)
    tick = dt.timedelta(microseconds=1)
    for inside in (start, start + dt.timedelta(days=1)):
        assert members.validate(identity, now=inside).name == "edges"
    with pytest.raises(msp.IdentityError, match="not valid before"):
        members.validate(identity, now=start - tick)
    with pytest.raises(msp.IdentityError, match="expired"):
        members.validate(identity, now=start + dt.timedelta(days=1) + tick)


def test_the_node_clock_offset_moves_the_validity_check(org1_ca: msp.KeyPair) -> None:
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    pair = msp.issue_identity(org1_ca, "skewed", "client", validity=dt.timedelta(days=1))
    members.validate(serialized("Org1MSP", pair))
    clock.set_offset(2 * 86_400)
    try:
        with pytest.raises(msp.IdentityError, match="expired"):
            members.validate(serialized("Org1MSP", pair))
    finally:
        clock.set_offset(0)


def test_wrong_role_is_rejected(org1_ca: msp.KeyPair) -> None:
    pair = msp.issue_identity(org1_ca, "user1", "client")
    members = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)])
    with pytest.raises(msp.IdentityError, match="has role 'client'"):
        members.validate(serialized("Org1MSP", pair), roles=("peer", "orderer"))


def test_revoked_serial_is_rejected(org1_ca: msp.KeyPair) -> None:
    pair = msp.issue_identity(org1_ca, "user1", "client")
    identity = serialized("Org1MSP", pair)
    serial = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)]).validate(identity).serial_hex
    revoking = msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem, frozenset({serial}))])
    with pytest.raises(msp.IdentityError, match="revoked"):
        revoking.validate(identity)


def test_tampered_certificate_signature_is_rejected(org1_ca: msp.KeyPair) -> None:
    identity = serialized("Org1MSP", msp.issue_identity(org1_ca, "peer0", "peer"))
    der = bytearray(identity.certificate)
    der[-1] ^= 0x01  # the certificate's signature is its last 64 bytes
    identity.certificate = bytes(der)
    with pytest.raises(msp.IdentityError, match="does not verify"):
        msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)]).validate(identity)


def test_garbage_certificate_is_rejected(org1_ca: msp.KeyPair) -> None:
    identity = serialized("Org1MSP", msp.issue_identity(org1_ca, "peer0", "peer"))
    identity.certificate = b"\x30\x03garbage"
    with pytest.raises(msp.IdentityError, match="malformed certificate"):
        msp.MSP([msp.Organization("Org1MSP", org1_ca.cert_pem)]).validate(identity)


def test_unknown_role_cannot_be_issued(org1_ca: msp.KeyPair) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        msp.issue_identity(org1_ca, "x", "auditor")
