"""The three ways to keep an order secret until the bidding is over: seal on the client, open on the ledger.

- own-key: a fresh X25519 key pair per order; the order is a sealed box to its public key, posted with the public
  key appended; the reveal is the private key, which must belong to that public key.
- auctioneer-key: sealed boxes to the slot's auctioneer key; the auctioneer reveals the private key once.
- commit-reveal: SHA-256(order bytes || nonce) now, the order bytes and the 32-byte nonce later.
A sealed box (PyNaCl) is anonymous public-key encryption with a fresh ephemeral key per message, so no key is ever
shared between bidders (island's single shared RSA key let anyone holding it read every bid).
"""

from __future__ import annotations

import hashlib
import hmac
import os

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

OWN_KEY = "own-key"
AUCTIONEER_KEY = "auctioneer-key"
COMMIT_REVEAL = "commit-reveal"
SCHEMES = (OWN_KEY, AUCTIONEER_KEY, COMMIT_REVEAL)
KEY_BYTES = 32
NONCE_BYTES = 32
BOX_OVERHEAD = 48  # ephemeral public key + MAC
MAX_SEALED_BYTES = 2048


class SealingError(ValueError):
    """A sealed order, key or reveal that is malformed, or does not open what it should."""


class Undecryptable(SealingError):
    """A well-formed sealed order that the revealed key does not open."""


def _private_key(raw: bytes) -> PrivateKey:
    if len(raw) != KEY_BYTES:
        raise SealingError(f"an X25519 private key is {KEY_BYTES} bytes, got {len(raw)}")
    return PrivateKey(raw)


def public_key_of(private_key: bytes) -> bytes:
    """The X25519 public key of a private key (how the ledger checks a revealed key belongs to its order)."""
    return bytes(_private_key(private_key).public_key)


def new_key_pair() -> tuple[bytes, bytes]:
    """(private, public) raw X25519 keys: per order for own-key, per slot for the auctioneer."""
    private = PrivateKey.generate()
    return bytes(private), bytes(private.public_key)


def seal_to(public_key: bytes, plaintext: bytes) -> bytes:
    """A sealed box of `plaintext` that only the holder of `public_key`'s private key can open."""
    if len(public_key) != KEY_BYTES:
        raise SealingError(f"an X25519 public key is {KEY_BYTES} bytes, got {len(public_key)}")
    return SealedBox(PublicKey(public_key)).encrypt(plaintext)


def open_box(private_key: bytes, box: bytes) -> bytes:
    try:
        return SealedBox(_private_key(private_key)).decrypt(box)
    except CryptoError:
        raise Undecryptable("the sealed order does not open with the revealed key") from None


def seal_own_key(plaintext: bytes) -> tuple[bytes, bytes]:
    """(sealed order to post, private key to reveal later) for the own-key scheme."""
    private, public = new_key_pair()
    return seal_to(public, plaintext) + public, private


def commit(plaintext: bytes, nonce: bytes | None = None) -> tuple[bytes, bytes]:
    """(commitment to post, secret to reveal later = plaintext || nonce) for the commit-reveal scheme."""
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    if len(nonce) != NONCE_BYTES:
        raise SealingError(f"the nonce is {NONCE_BYTES} bytes, got {len(nonce)}")
    secret = plaintext + nonce
    return hashlib.sha256(secret).digest(), secret


def check_sealed(scheme: str, sealed: bytes) -> None:
    """Refuse a posted order that cannot be a sealed order of the market's scheme (checked when it is posted)."""
    if scheme == COMMIT_REVEAL:
        if len(sealed) != hashlib.sha256().digest_size:
            raise SealingError(f"a commitment is a 32-byte SHA-256 digest, got {len(sealed)} bytes")
        return
    minimum = BOX_OVERHEAD + 1 + (KEY_BYTES if scheme == OWN_KEY else 0)
    if not minimum <= len(sealed) <= MAX_SEALED_BYTES:
        raise SealingError(f"a sealed order of scheme {scheme} is {minimum}..{MAX_SEALED_BYTES} bytes, "
                           f"got {len(sealed)}")


def check_reveal(scheme: str, sealed: bytes, secret: bytes) -> None:
    """Refuse a reveal that does not belong to its order: an own-key private key of another public key, or a
    commit-reveal secret whose hash is not the commitment. (Whether the order then opens and parses is decided
    at clearing, where failures are counted rather than refused.)"""
    if scheme == OWN_KEY:
        if not hmac.compare_digest(public_key_of(secret), sealed[-KEY_BYTES:]):
            raise SealingError("the revealed private key does not belong to the order's public key")
    elif scheme == COMMIT_REVEAL:
        if len(secret) <= NONCE_BYTES or not hmac.compare_digest(hashlib.sha256(secret).digest(), sealed):
            raise SealingError("the revealed order and nonce do not hash to the commitment")
    else:
        raise SealingError(f"orders of scheme {scheme} are revealed by the auctioneer's slot key (mark_end)")


def open_order(scheme: str, sealed: bytes, secret: bytes) -> bytes:
    """The order bytes of a sealed order and its reveal (for auctioneer-key: the slot's private key)."""
    if scheme == OWN_KEY:
        check_reveal(scheme, sealed, secret)
        return open_box(secret, sealed[:-KEY_BYTES])
    if scheme == AUCTIONEER_KEY:
        return open_box(secret, sealed)
    check_reveal(scheme, sealed, secret)
    return secret[:-NONCE_BYTES]
