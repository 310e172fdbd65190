"""Enrolment: an org admin gives a user an identity and an API token.

Custodial users get a client certificate and key issued by the org's CA (from the crypto dir); the key goes into the
service's encrypted wallet. Users who keep their own keys register a certificate instead: one the org CA issued
already, or one issued here for the public key in their certificate signing request (CSR). Either way the
certificate must be a valid client identity of the org, checked by the same MSP code the peers use.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

from gridledger.common import msp
from gridledger.common.channel import ConfigError, config_from_block, organizations
from gridledger.common.material import signing_ca
from gridledger.sdk.wallet import FileWallet, WalletIdentity
from gridledger.services.rest.users import (
    DEFAULT_SCOPES,
    UnknownUser,
    UserError,
    UserStore,
    check_scopes,
    check_user_name,
)
from gridledger.v1 import block_pb2, identity_pb2

CSR_VALIDITY = dt.timedelta(days=365)


@dataclass(frozen=True)
class Enrolment:
    user: str
    token: str
    certificate_pem: str | None
    custodial: bool


def _ca(crypto_dir: Path, msp_id: str) -> msp.KeyPair:
    try:
        return signing_ca(crypto_dir, msp_id)
    except OSError as exc:
        raise UserError(f"{exc}; the org admin enrols users where the org's crypto material is") from None


def channel_organization(crypto_dir: Path, msp_id: str) -> msp.Organization:
    """The org as the peers know it: from the genesis block beside the crypto folder (`<data-dir>/genesis.block`,
    local and container networks alike), whose revocation list the CA alone does not know; the CA in the crypto
    folder when no genesis block was made yet."""
    genesis = crypto_dir.parent / "genesis.block"
    if genesis.exists():
        try:
            config = config_from_block(block_pb2.Block.FromString(genesis.read_bytes()))
        except (ConfigError, ValueError) as exc:
            raise UserError(f"cannot check certificates against {genesis}: {exc}") from None
        for org in organizations(config):
            if org.msp_id == msp_id:
                return org
        raise UserError(f"{msp_id} is not an organisation of the channel in {genesis}")
    return msp.Organization(msp_id, (crypto_dir / msp_id / "ca" / "cert.pem").read_bytes())


def check_certificate(crypto_dir: Path, msp_id: str, certificate_pem: bytes) -> msp.Member:
    """The certificate as the peers will see it: issued by the org CA, a client of `msp_id`, valid now and not
    revoked by the channel config."""
    try:
        der = msp.pem_to_der(certificate_pem)
    except ValueError as exc:
        raise UserError(f"not a PEM certificate: {exc}") from None
    checker = msp.MSP([channel_organization(crypto_dir, msp_id)])
    try:
        return checker.validate(identity_pb2.SerializedIdentity(msp_id=msp_id, certificate=der), roles=("client",))
    except msp.IdentityError as exc:
        raise UserError(f"certificate rejected: {exc}") from None


def issue_for_csr(ca: msp.KeyPair, user: str, csr_pem: bytes) -> bytes:
    """A client certificate for the Ed25519 key in a CSR; the subject is set here (org, role, user name)."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as exc:
        raise UserError(f"not a PEM certificate signing request: {exc}") from None
    if not csr.is_signature_valid:
        raise UserError("the CSR's signature does not verify (it must be signed with the key it carries)")
    public_key = csr.public_key()
    if not isinstance(public_key, ed25519.Ed25519PublicKey):
        raise UserError("signing identities use Ed25519 keys; the CSR carries another kind of key")
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    org = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "client"),
                         x509.NameAttribute(NameOID.COMMON_NAME, user)])
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(ca_cert.subject).public_key(public_key)
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + CSR_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, None)  # type: ignore[arg-type]
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def certificate_from(crypto_dir: Path, msp_id: str, user: str, *, certificate_pem: bytes | None = None,
                     csr_pem: bytes | None = None) -> bytes:
    """A checked certificate from either a certificate or a CSR (exactly one of them)."""
    if (certificate_pem is None) == (csr_pem is None):
        raise UserError("give exactly one of a certificate or a CSR")
    if csr_pem is not None:
        certificate_pem = issue_for_csr(_ca(crypto_dir, msp_id), user, csr_pem)
    assert certificate_pem is not None
    check_certificate(crypto_dir, msp_id, certificate_pem)
    return certificate_pem


def enroll(users: UserStore, wallet: FileWallet, crypto_dir: Path, msp_id: str, user: str, *,
           scopes: tuple[str, ...] = DEFAULT_SCOPES, certificate_pem: bytes | None = None,
           csr_pem: bytes | None = None, offline: bool = False) -> Enrolment:
    """Enrol `user`: custodial by default; with a certificate or CSR the user signs offline; with `offline` and
    neither, the certificate is registered later (POST /v1/users/{user}/certificate)."""
    check_user_name(user)
    check_scopes(scopes)
    if users.get(user) is not None:
        raise UserError(f"user {user!r} is already enrolled for {msp_id}")
    if certificate_pem is not None or csr_pem is not None:
        certificate = certificate_from(crypto_dir, msp_id, user, certificate_pem=certificate_pem, csr_pem=csr_pem)
        token = users.add(user, msp_id, scopes, certificate.decode("ascii"), custodial=False)
        return Enrolment(user, token, certificate.decode("ascii"), False)
    if offline:
        return Enrolment(user, users.add(user, msp_id, scopes, None, custodial=False), None, False)
    issued = msp.issue_identity(_ca(crypto_dir, msp_id), user, "client")
    wallet.put(user, WalletIdentity(msp_id, issued.cert_pem, issued.key_pem))
    token = users.add(user, msp_id, scopes, issued.cert_pem.decode("ascii"), custodial=True)
    return Enrolment(user, token, issued.cert_pem.decode("ascii"), True)


def register_certificate(users: UserStore, wallet: FileWallet, crypto_dir: Path, msp_id: str, user: str, *,
                         certificate_pem: bytes | None = None, csr_pem: bytes | None = None) -> bytes:
    """Give an enrolled user a certificate whose key they keep; a custodial key the wallet held is removed."""
    existing = users.get(user)
    if existing is None:
        raise UnknownUser(f"no user {user!r} is enrolled")
    certificate = certificate_from(crypto_dir, msp_id, user, certificate_pem=certificate_pem, csr_pem=csr_pem)
    users.set_certificate(user, certificate.decode("ascii"), custodial=False)
    wallet.remove(user)
    return certificate
