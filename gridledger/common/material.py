"""Reading one member's crypto material from the folder layout that `gridledger crypto generate` writes.

Layout below the crypto folder, one folder per organisation and member:
    <msp_id>/ca/{cert,key}.pem             Ed25519 root CA of the org's signing identities
    <msp_id>/tlsca/{cert,key}.pem          ECDSA P-256 TLS CA
    <msp_id>/members/<name>/{cert,key}.pem        Ed25519 signing certificate (role in the OU) and key
    <msp_id>/members/<name>/{tls-cert,tls-key}.pem  TLS certificate and key (server and client use)
Nodes, the SDK's users and the REST service read it here; writing it is ops/cryptogen.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.grpcutil import TlsMaterial

ADMIN = "admin"


def member_dir(crypto_dir: Path, msp_id: str, name: str) -> Path:
    return crypto_dir / msp_id / "members" / name


def read_pair(folder: Path, prefix: str) -> msp.KeyPair | None:
    """The `<prefix>cert.pem` / `<prefix>key.pem` pair in `folder`, or None when either file is missing."""
    cert, key = folder / f"{prefix}cert.pem", folder / f"{prefix}key.pem"
    if cert.exists() and key.exists():
        return msp.KeyPair(cert.read_bytes(), key.read_bytes())
    return None


def signing_ca(crypto_dir: Path, msp_id: str) -> msp.KeyPair:
    """The org's signing CA (certificate and key), for issuing identities outside `crypto generate`: users
    enrolled by REST, households of an experiment. Raises FileNotFoundError naming the folder."""
    folder = crypto_dir / msp_id / "ca"
    pair = read_pair(folder, "")
    if pair is None:
        raise FileNotFoundError(f"no signing CA of {msp_id} in {folder}; run `gridledger crypto generate` first, or "
                                "issue identities where the org's crypto material is")
    return pair


def tls_roots(crypto_dir: Path, msp_ids: list[str]) -> bytes:
    """The TLS CA certificates of the given orgs, concatenated: what a node or client trusts."""
    return b"".join((crypto_dir / m / "tlsca" / "cert.pem").read_bytes() for m in msp_ids)


def load_identity(crypto_dir: Path, msp_id: str, name: str) -> msp.SigningIdentity:
    """A member's signing identity; FileNotFoundError says which command creates it."""
    folder = member_dir(crypto_dir, msp_id, name)
    if not (folder / "key.pem").exists():
        raise FileNotFoundError(f"no crypto material for {name} of {msp_id} in {folder}; "
                                "run `gridledger crypto generate` first")
    return msp.SigningIdentity.from_pem(msp_id, (folder / "cert.pem").read_bytes(), (folder / "key.pem").read_bytes())


def load_admin(crypto_dir: Path, msp_id: str) -> msp.SigningIdentity:
    return load_identity(crypto_dir, msp_id, ADMIN)


@dataclass(frozen=True)
class MemberMaterial:
    """Everything a process needs to act as one member: signing identity and TLS material."""

    identity: msp.SigningIdentity
    tls: TlsMaterial


def load_member(crypto_dir: Path, msp_id: str, name: str, trusted_orgs: list[str]) -> MemberMaterial:
    identity = load_identity(crypto_dir, msp_id, name)
    folder = member_dir(crypto_dir, msp_id, name)
    tls = TlsMaterial((folder / "tls-cert.pem").read_bytes(), (folder / "tls-key.pem").read_bytes(),
                      tls_roots(crypto_dir, trusted_orgs))
    return MemberMaterial(identity, tls)
