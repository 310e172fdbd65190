"""Ed25519 signing and verification on the hot path (PyNaCl), with keys as raw 32-byte values.

Certificates carry the same Ed25519 keys (see msp.py); verifying with PyNaCl is several times faster than going
through the `cryptography` package, so verifiers are built once per certificate and cached by the MSP.
"""

from __future__ import annotations

from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

SIGNATURE_SIZE = 64
KEY_SIZE = 32


class Signer:
    """Holds a private key; signs messages. Never logs or prints the key."""

    __slots__ = ("_key",)

    def __init__(self, private_key: bytes) -> None:
        if len(private_key) != KEY_SIZE:
            raise ValueError(f"an Ed25519 private key has {KEY_SIZE} bytes, got {len(private_key)}")
        self._key = SigningKey(private_key)

    @classmethod
    def generate(cls) -> Signer:
        return cls(bytes(SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        return bytes(self._key.verify_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message).signature

    def __repr__(self) -> str:
        return f"Signer(public_key={self.public_key.hex()[:16]}...)"


class Verifier:
    """Verifies signatures for one public key."""

    __slots__ = ("_key",)

    def __init__(self, public_key: bytes) -> None:
        if len(public_key) != KEY_SIZE:
            raise ValueError(f"an Ed25519 public key has {KEY_SIZE} bytes, got {len(public_key)}")
        self._key = VerifyKey(public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        """True if `signature` is this key's signature over `message`; malformed signatures are just invalid."""
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            self._key.verify(message, signature)
        except BadSignatureError:
            return False
        return True
