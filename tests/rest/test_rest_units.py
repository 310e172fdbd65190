"""Pieces of the REST service that need no network: the port rule, users and tokens, certificate checks."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from gridledger.common import msp
from gridledger.ops.localnet import preferred_rest_port
from gridledger.ops.netconfig import load_network
from gridledger.services.rest.enrol import check_certificate, issue_for_csr
from gridledger.services.rest.users import UserError, UserStore
from tests.conftest import NETWORKS


def test_rest_port_rule_follows_the_first_peer_operations_port() -> None:
    dev, raft = load_network(NETWORKS / "dev.yaml"), load_network(NETWORKS / "raft.yaml")
    assert preferred_rest_port(dev, "Org1MSP") == 10444
    assert (preferred_rest_port(raft, "Org1MSP"), preferred_rest_port(raft, "Org2MSP")) == (10444, 10446)


def test_tokens_are_stored_only_as_hashes(tmp_path) -> None:
    store = UserStore(tmp_path)
    token = store.add("alice", "Org1MSP", ("submit", "ledger"), None, custodial=False)
    assert token.startswith("glr_") and token not in (tmp_path / "users.json").read_text()
    assert (tmp_path / "users.json").stat().st_mode & 0o777 == 0o600
    assert store.authenticate(token).name == "alice"
    assert store.authenticate(token + "x") is None and store.authenticate("nonsense") is None
    assert UserStore(tmp_path).authenticate(token).scopes == ("submit", "ledger")  # another process reads it
    with pytest.raises(UserError, match="already enrolled"):
        store.add("alice", "Org1MSP", ("submit",), None, custodial=False)
    with pytest.raises(UserError, match="unknown scope"):
        store.add("bob", "Org1MSP", ("root",), None, custodial=False)
    with pytest.raises(UserError, match="not allowed"):
        store.add("../bob", "Org1MSP", ("submit",), None, custodial=False)
    assert json.loads((tmp_path / "users.json").read_text())["format"] == "gridledger-rest-users/1"


def _crypto(tmp_path, msp_id: str) -> msp.KeyPair:
    ca = msp.new_signing_ca(msp_id)
    (tmp_path / msp_id / "ca").mkdir(parents=True)
    (tmp_path / msp_id / "ca" / "cert.pem").write_bytes(ca.cert_pem)
    return ca


def test_certificates_must_be_org_clients_and_csrs_ed25519(tmp_path) -> None:
    ca = _crypto(tmp_path, "Org1MSP")
    other = msp.new_signing_ca("Org1MSP")  # same name, different key: not our CA
    assert check_certificate(tmp_path, "Org1MSP", msp.issue_identity(ca, "u", "client").cert_pem).role == "client"
    with pytest.raises(UserError, match="does not verify"):
        check_certificate(tmp_path, "Org1MSP", msp.issue_identity(other, "u", "client").cert_pem)
    with pytest.raises(UserError, match="role"):
        check_certificate(tmp_path, "Org1MSP", msp.issue_identity(ca, "p", "peer").cert_pem)
    key = ed25519.Ed25519PrivateKey.generate()
    csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "anything")])).sign(key, None)
    issued = issue_for_csr(ca, "carol", csr.public_bytes(serialization.Encoding.PEM))
    member = check_certificate(tmp_path, "Org1MSP", issued)
    assert (member.name, member.msp_id, member.role) == ("carol", "Org1MSP", "client")
    ecdsa = ec.generate_private_key(ec.SECP256R1())
    ec_csr = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "x")])).sign(ecdsa, hashes.SHA256())
    with pytest.raises(UserError, match="Ed25519"):
        issue_for_csr(ca, "dave", ec_csr.public_bytes(serialization.Encoding.PEM))


def test_revoked_tokens_are_refused_by_a_store_that_was_already_loaded(tmp_path) -> None:
    admin, service = UserStore(tmp_path), UserStore(tmp_path)  # the CLI and the running service
    token = admin.add("alice", "Org1MSP", ("submit",), None, custodial=False)
    assert service.authenticate(token).name == "alice" and service.revoked(token) is None
    assert admin.revoke("alice") == 1
    assert service.authenticate(token) is None and service.revoked(token).user == "alice"
    assert service.get("alice") is None and token not in (tmp_path / "users.json").read_text()
    fresh = admin.add("alice", "Org1MSP", ("submit",), None, custodial=False)  # enrolled again
    assert service.authenticate(fresh).name == "alice" and service.revoked(token) is not None
    with pytest.raises(UserError, match="no user 'bob'"):
        admin.revoke("bob")
