"""Membership service: X.509 identities per organisation, their issuance and their validation.

Signing identities use Ed25519 certificates issued by the org's root CA; the role (peer, orderer, client, admin) is
the certificate's organizational unit and the MSP id its organization, as with Fabric's NodeOUs. TLS uses a separate
ECDSA P-256 CA because gRPC's TLS stack refuses Ed25519 certificates in the handshake.

Validating a certificate (parse, chain, MSP id, role) is done once per certificate and cached by fingerprint; only
the cheap checks that depend on the clock (validity period) run on every use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gridledger.common import clock
from gridledger.common.crypto import Signer, Verifier
from gridledger.v1 import identity_pb2

ROLES = ("peer", "orderer", "client", "admin")
DEFAULT_VALIDITY = dt.timedelta(days=3650)


class IdentityError(Exception):
    """A certificate that must not be trusted; the message says why."""


def _utcnow() -> dt.datetime:
    """This node's wall clock, which a chaos run may skew (common/clock.py)."""
    return clock.utcnow()


def _name(msp_id: str, common_name: str, role: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, msp_id)]
    if role is not None:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, role))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _builder(subject: x509.Name, issuer: x509.Name, public_key, not_before: dt.datetime,
             validity: dt.timedelta) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + validity)
    )


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _self_signed_ca(msp_id: str, common_name: str, key, algorithm) -> KeyPair:
    name = _name(msp_id, common_name)
    cert = (
        _builder(name, name, key.public_key(), _utcnow() - dt.timedelta(minutes=5), DEFAULT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False, data_encipherment=False,
                                     key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, algorithm)
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def new_signing_ca(msp_id: str) -> KeyPair:
    """A self-signed Ed25519 root CA for an organisation's signing identities."""
    return _self_signed_ca(msp_id, f"ca.{msp_id}", ed25519.Ed25519PrivateKey.generate(), None)


def new_tls_ca(msp_id: str) -> KeyPair:
    """A self-signed ECDSA P-256 CA for an organisation's TLS certificates."""
    return _self_signed_ca(msp_id, f"tlsca.{msp_id}", ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())


def _ca_parts(ca: KeyPair):
    cert = x509.load_pem_x509_certificate(ca.cert_pem)
    key = serialization.load_pem_private_key(ca.key_pem, password=None)
    return cert, key


def issue_identity(ca: KeyPair, name: str, role: str, *, not_before: dt.datetime | None = None,
                   validity: dt.timedelta = DEFAULT_VALIDITY) -> KeyPair:
    """Issue an Ed25519 signing certificate with `role` for a member of the CA's organisation."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    ca_cert, ca_key = _ca_parts(ca)
    msp_id = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    key = ed25519.Ed25519PrivateKey.generate()
    start = not_before or _utcnow() - dt.timedelta(minutes=5)
    cert = (
        _builder(_name(msp_id, name, role), ca_cert.subject, key.public_key(), start, validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, None)
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def issue_tls(ca: KeyPair, name: str, hosts: Sequence[str]) -> KeyPair:
    """Issue an ECDSA P-256 TLS certificate usable as server and client certificate for `hosts` (DNS names or IPs)."""
    ca_cert, ca_key = _ca_parts(ca)
    msp_id = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    cert = (
        _builder(_name(msp_id, name), ca_cert.subject, key.public_key(), _utcnow() - dt.timedelta(minutes=5),
                 DEFAULT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def signer_from_pem(key_pem: bytes) -> Signer:
    """The hot-path signer for an Ed25519 private key stored as PEM."""
    key = serialization.load_pem_private_key(key_pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise IdentityError("signing keys must be Ed25519")
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return Signer(raw)


def pem_to_der(cert_pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)


def fingerprint(cert_der: bytes) -> str:
    return hashlib.sha256(cert_der).hexdigest()


@dataclass(frozen=True)
class Member:
    """A validated identity: who it is and how to check its signatures."""

    msp_id: str
    role: str
    name: str
    fingerprint: str
    serial_hex: str
    not_before: dt.datetime
    not_after: dt.datetime
    verifier: Verifier
    certificate: bytes  # DER

    def verify(self, message: bytes, signature: bytes) -> bool:
        return self.verifier.verify(message, signature)


@dataclass(frozen=True)
class Organization:
    """What the channel config says about one organisation's signing identities."""

    msp_id: str
    root_cert_pem: bytes
    revoked_serials: frozenset[str] = frozenset()


class MSP:
    """Validates identities against the organisations of a channel; caches the results by certificate fingerprint.

    A new MSP is built whenever the channel config changes (new orgs, revocations), which drops the cache.
    """

    def __init__(self, organizations: Iterable[Organization]) -> None:
        self._orgs: dict[str, tuple[Organization, ed25519.Ed25519PublicKey, x509.Name]] = {}
        for org in organizations:
            ca_cert = x509.load_pem_x509_certificate(org.root_cert_pem)
            ca_key = ca_cert.public_key()
            if not isinstance(ca_key, ed25519.Ed25519PublicKey):
                raise IdentityError(f"{org.msp_id}: the root CA must have an Ed25519 key")
            self._orgs[org.msp_id] = (org, ca_key, ca_cert.subject)
        self._cache: dict[tuple[str, bytes], Member] = {}
        self._lock = threading.Lock()

    @property
    def msp_ids(self) -> list[str]:
        return sorted(self._orgs)

    def validate(self, identity: identity_pb2.SerializedIdentity, *, roles: Sequence[str] = (),
                 now: dt.datetime | None = None) -> Member:
        """Return the Member for a serialized identity or raise IdentityError saying why it is not trusted.

        `roles`: if given, the identity must have one of them.
        """
        key = (identity.msp_id, identity.certificate)
        member = self._cache.get(key)
        if member is None:
            member = self._validate_certificate(identity.msp_id, identity.certificate)
            with self._lock:
                self._cache[key] = member
        moment = now or _utcnow()
        if moment < member.not_before:
            raise IdentityError(f"certificate of {member.name} ({member.msp_id}) is not valid before "
                                f"{member.not_before.isoformat()}")
        if moment > member.not_after:
            raise IdentityError(f"certificate of {member.name} ({member.msp_id}) expired at "
                                f"{member.not_after.isoformat()}")
        if roles and member.role not in roles:
            raise IdentityError(f"{member.name} ({member.msp_id}) has role {member.role!r}; "
                                f"this needs one of {', '.join(roles)}")
        return member

    def _validate_certificate(self, msp_id: str, der: bytes) -> Member:
        entry = self._orgs.get(msp_id)
        if entry is None:
            raise IdentityError(f"unknown organisation {msp_id!r}; the channel has {', '.join(self.msp_ids)}")
        org, ca_key, ca_subject = entry
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            raise IdentityError(f"malformed certificate for {msp_id}: {exc}") from None
        if cert.issuer != ca_subject:
            issuer = cert.issuer.rfc4514_string()
            raise IdentityError(f"certificate was not issued by the {msp_id} CA (issuer {issuer})")
        try:
            ca_key.verify(cert.signature, cert.tbs_certificate_bytes)
        except InvalidSignature:
            raise IdentityError(f"certificate signature does not verify against the {msp_id} CA") from None
        orgs = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
        if orgs != [msp_id]:
            raise IdentityError(f"certificate names organisation {orgs} but was presented as {msp_id}")
        units = [a.value for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)]
        if len(units) != 1 or units[0] not in ROLES:
            raise IdentityError(f"certificate has no valid role (organizational unit {units}); "
                                f"allowed: {', '.join(ROLES)}")
        serial_hex = format(cert.serial_number, "x")
        if serial_hex in org.revoked_serials:
            raise IdentityError(f"certificate serial {serial_hex} of {msp_id} is revoked")
        public_key = cert.public_key()
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            raise IdentityError("signing certificates must carry an Ed25519 key")
        common_names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return Member(
            msp_id=msp_id,
            role=units[0],
            name=str(common_names[0].value) if common_names else "",
            fingerprint=fingerprint(der),
            serial_hex=serial_hex,
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            verifier=Verifier(public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)),
            certificate=der,
        )


@dataclass(frozen=True)
class SigningIdentity:
    """A member's own identity: the serialized certificate it presents and the key it signs with."""

    msp_id: str
    certificate: bytes  # DER
    signer: Signer

    @classmethod
    def from_pem(cls, msp_id: str, cert_pem: bytes, key_pem: bytes) -> SigningIdentity:
        return cls(msp_id, pem_to_der(cert_pem), signer_from_pem(key_pem))

    def serialized(self) -> identity_pb2.SerializedIdentity:
        return identity_pb2.SerializedIdentity(msp_id=self.msp_id, certificate=self.certificate)

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)
