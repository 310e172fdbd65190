"""The thesis' proof of work, for comparison with proof of stake: a house that finds a 32-bit nonce whose SHA-256
(over the day and the house) is at most the target wins the right to coordinate the day. The chaincode only checks a
proof (one hash); finding one takes 2^256 / target attempts on average (64 at the default 2^250)."""

from __future__ import annotations

import hashlib
import random

DEFAULT_TARGET_BITS = 250
NONCE_BITS = 32


def digest(day_seed: bytes, house_id: str, nonce: int) -> int:
    message = b"gridledger/dsm/pow\x00" + day_seed + b"\x00" + house_id.encode() + nonce.to_bytes(4, "big")
    return int.from_bytes(hashlib.sha256(message).digest(), "big")


def solves(day_seed: bytes, house_id: str, nonce: int, target_bits: int) -> bool:
    """Whether `nonce` is a proof for this house and day at target 2^target_bits."""
    return 0 <= nonce < 2**NONCE_BITS and digest(day_seed, house_id, nonce) <= 2**target_bits


def attempt(rng: random.Random, day_seed: bytes, house_id: str, target_bits: int) -> int | None:
    """One attempt with a random nonce: the nonce if it solves the puzzle, else None."""
    nonce = rng.getrandbits(NONCE_BITS)
    return nonce if solves(day_seed, house_id, nonce, target_bits) else None
