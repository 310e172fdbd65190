"""Checks for the fields of on-chain configurations (the market's, the DSM neighbourhood's): the one id rule and
strict integers and choices, each failing with a ConfigError that names the field and what it allows."""

from __future__ import annotations

import re

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


class ConfigError(ValueError):
    """A configuration that cannot run."""


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ConfigError(f"{what} {value!r} must be 1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)")
    return value


def check_int(value: object, what: str, minimum: int, maximum: int = 2**63 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(f"{what} must be an integer in {minimum}..{maximum}, got {value!r}")
    return value


def check_choice(value: object, what: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)
