"""Profiles as they cross the ledger: 96 integer watts, validated, and the commitment to a candidate profile that a
method-2 house submits before it may reveal it (SHA-256 over the profile and a secret salt)."""

from __future__ import annotations

import hashlib

from gridledger.common.dsm.battery import MAX_POWER_W, SLOTS_PER_DAY

MAX_HOUSE_W = 100 * MAX_POWER_W  # a house's load, not a battery's power
SALT_BYTES = 16


class ProfileError(ValueError):
    """A profile that is not 96 integer watts within bounds."""


def check_profile(value: object, what: str = "profile") -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or len(value) != SLOTS_PER_DAY:
        raise ProfileError(f"{what} is a list of {SLOTS_PER_DAY} integer watts")
    for slot, watts in enumerate(value):
        if isinstance(watts, bool) or not isinstance(watts, int) or not -MAX_HOUSE_W <= watts <= MAX_HOUSE_W:
            raise ProfileError(f"{what}[{slot}] must be an integer in -{MAX_HOUSE_W}..{MAX_HOUSE_W} W, got {watts!r}")
    return tuple(value)


def encode_profile(profile: tuple[int, ...]) -> bytes:
    return b"".join(watts.to_bytes(8, "big", signed=True) for watts in profile)


def commitment(profile: tuple[int, ...], salt: bytes) -> str:
    """The hex commitment a house posts with its offer, opened by revealing profile and salt."""
    return hashlib.sha256(b"gridledger/dsm/candidate\x00" + salt + encode_profile(profile)).hexdigest()
