"""Wallets hold identities: a signing certificate and, unless its owner keeps the key elsewhere, the private key.

FileWallet keeps one JSON file per identity (mode 0600) in a folder. The private key is never stored in clear: it
is encrypted with AES-256-GCM under a key derived from a passphrase with scrypt (a fresh salt and nonce for every
write). The label, MSP id and certificate are bound to the ciphertext as associated data, so a wrong passphrase and
an altered file both fail with WrongPassphrase instead of yielding a wrong key. Neither the passphrase nor keys
appear in reprs, logs or error messages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from gridledger.common.msp import SigningIdentity, pem_to_der
from gridledger.sdk.errors import IdentityNotFound, WalletError, WrongPassphrase

LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\Z")
FORMAT = "gridledger-wallet/1"
SCRYPT_N = 2**15  # ~32 MiB and ~0.1 s per derivation on this machine: slow for guessing, fine for a login
SCRYPT_R, SCRYPT_P = 8, 1


def check_label(label: str) -> str:
    if not isinstance(label, str) or not LABEL.match(label):
        raise WalletError(f"identity label {label!r} is not allowed: use 1-64 letters, digits and . _ @ -, "
                          "starting with a letter or digit")
    return label


@dataclass(frozen=True)
class WalletIdentity:
    """A certificate (PEM) of an organisation's member, with its Ed25519 private key (PEM) if the wallet holds it."""

    msp_id: str
    certificate_pem: bytes
    private_key_pem: bytes | None = field(default=None, repr=False)

    @property
    def has_key(self) -> bool:
        return self.private_key_pem is not None

    @property
    def certificate_der(self) -> bytes:
        return pem_to_der(self.certificate_pem)

    def signing_identity(self) -> SigningIdentity:
        if self.private_key_pem is None:
            raise WalletError(f"the wallet holds only the certificate of this {self.msp_id} identity; its owner "
                              "keeps the key and signs offline")
        return SigningIdentity.from_pem(self.msp_id, self.certificate_pem, self.private_key_pem)


def _check_pair(identity: WalletIdentity) -> None:
    """The key must belong to the certificate (a mismatch would only show up as bad signatures later)."""
    try:
        certificate = x509.load_pem_x509_certificate(identity.certificate_pem)
    except ValueError as exc:
        raise WalletError(f"not a PEM certificate: {exc}") from None
    if identity.private_key_pem is None:
        return
    try:
        key = serialization.load_pem_private_key(identity.private_key_pem, password=None)
    except (ValueError, TypeError):
        raise WalletError("the private key is not an unencrypted PEM key") from None
    raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
    if key.public_key().public_bytes(*raw) != certificate.public_key().public_bytes(*raw):
        raise WalletError("the private key does not belong to the certificate")


class Wallet(Protocol):
    def put(self, label: str, identity: WalletIdentity) -> None: ...

    def get(self, label: str) -> WalletIdentity: ...

    def remove(self, label: str) -> bool: ...

    def labels(self) -> list[str]: ...


class InMemoryWallet:
    """For tests and short-lived agents: nothing touches the disk."""

    def __init__(self) -> None:
        self._identities: dict[str, WalletIdentity] = {}

    def put(self, label: str, identity: WalletIdentity) -> None:
        _check_pair(identity)
        self._identities[check_label(label)] = identity

    def get(self, label: str) -> WalletIdentity:
        try:
            return self._identities[check_label(label)]
        except KeyError:
            raise IdentityNotFound(f"no identity {label!r} in the wallet") from None

    def remove(self, label: str) -> bool:
        return self._identities.pop(check_label(label), None) is not None

    def labels(self) -> list[str]:
        return sorted(self._identities)

    def __contains__(self, label: str) -> bool:
        return label in self._identities


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class FileWallet:
    """Identities as `<folder>/<label>.id.json`, private keys encrypted with `passphrase` (scrypt + AES-256-GCM)."""

    def __init__(self, folder: Path, passphrase: str | bytes, *, scrypt_n: int = SCRYPT_N) -> None:
        secret = passphrase.encode("utf-8") if isinstance(passphrase, str) else bytes(passphrase)
        if not secret:
            raise WalletError("a file wallet needs a non-empty passphrase")
        self.folder = Path(folder)
        self._secret = secret
        self._scrypt_n = scrypt_n

    def __repr__(self) -> str:
        return f"FileWallet({str(self.folder)!r})"

    def _path(self, label: str) -> Path:
        return self.folder / f"{check_label(label)}.id.json"

    def _key(self, salt: bytes, n: int, r: int, p: int) -> bytes:
        return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(self._secret)

    @staticmethod
    def _aad(label: str, msp_id: str, certificate_pem: bytes) -> bytes:
        return f"{FORMAT}|{label}|{msp_id}|{hashlib.sha256(certificate_pem).hexdigest()}".encode()

    def put(self, label: str, identity: WalletIdentity) -> None:
        """Store (or replace) an identity; its key is encrypted before anything is written."""
        path = self._path(label)
        _check_pair(identity)
        record: dict = {"format": FORMAT, "label": label, "msp_id": identity.msp_id,
                        "certificate": identity.certificate_pem.decode("ascii"), "key": None}
        if identity.private_key_pem is not None:
            salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
            sealed = AESGCM(self._key(salt, self._scrypt_n, SCRYPT_R, SCRYPT_P)).encrypt(
                nonce, identity.private_key_pem, self._aad(label, identity.msp_id, identity.certificate_pem))
            record["key"] = {"kdf": "scrypt", "n": self._scrypt_n, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt),
                             "cipher": "aes-256-gcm", "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def get(self, label: str) -> WalletIdentity:
        """The identity with its key decrypted; WrongPassphrase if the passphrase does not open it."""
        path = self._path(label)
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            raise IdentityNotFound(f"no identity {label!r} in wallet {self.folder}") from None
        except (OSError, ValueError) as exc:
            raise WalletError(f"wallet file {path} cannot be read: {exc}") from None
        try:
            if record.get("format") != FORMAT or record.get("label") != label:
                raise ValueError(f"not a {FORMAT} file for {label!r}")
            certificate = record["certificate"].encode("ascii")
            sealed = record.get("key")
            if sealed is None:
                return WalletIdentity(record["msp_id"], certificate)
            if sealed.get("kdf") != "scrypt" or sealed.get("cipher") != "aes-256-gcm":
                raise ValueError("unknown key protection")
            n, r, p = int(sealed["n"]), int(sealed["r"]), int(sealed["p"])
            if not (2 <= n <= 2**18 and 1 <= r <= 16 and 1 <= p <= 4):
                raise ValueError("scrypt parameters out of range")
            key = self._key(_unb64(sealed["salt"]), n, r, p)
            aad = self._aad(label, record["msp_id"], certificate)
            ciphertext, nonce = _unb64(sealed["ciphertext"]), _unb64(sealed["nonce"])
        except (KeyError, TypeError, ValueError) as exc:
            raise WalletError(f"wallet file {path} is malformed: {exc}") from None
        try:
            private_key = AESGCM(key).decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            raise WrongPassphrase(f"cannot decrypt the key of identity {label!r} in {self.folder}: wrong "
                                  "passphrase, or the wallet file was altered") from None
        return WalletIdentity(record["msp_id"], certificate, private_key)

    def remove(self, label: str) -> bool:
        try:
            self._path(label).unlink()
        except FileNotFoundError:
            return False
        return True

    def labels(self) -> list[str]:
        if not self.folder.exists():
            return []
        return sorted(p.name.removesuffix(".id.json") for p in self.folder.glob("*.id.json"))

    def __contains__(self, label: str) -> bool:
        return self._path(label).exists()
