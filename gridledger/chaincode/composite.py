"""Keys: validation of simple keys and Fabric-style composite keys.

A composite key is "\\x00" + object type + "\\x00" + each attribute + "\\x00". The leading NUL keeps composite keys
apart from simple keys (which may not start with NUL), and because every part ends with NUL, a partial key made of
the first attributes is a prefix of exactly the keys that extend it, so partial lookups are plain range scans.
"""

from __future__ import annotations

from collections.abc import Iterable

SEPARATOR = "\x00"
COMPOSITE_PREFIX = SEPARATOR
# Upper bound for prefix scans: above every character a key can contain (the largest Unicode code point).
MAX_CHAR = "\U0010ffff"
# Substitute for an empty range start, so that a "whole namespace" simple range skips composite keys (as Fabric does).
EMPTY_START = "\x01"


def _check_text(text: object, what: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {type(text).__name__}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} {text!r} is not valid Unicode text (lone surrogate)") from None
    return text


def validate_key(key: object) -> str:
    """A key usable with get/put/delete: non-empty valid text. Composite keys pass too."""
    text = _check_text(key, "key")
    if not text:
        raise ValueError("key must not be empty")
    return text


def validate_simple_key(key: object, what: str = "key") -> str:
    """A key bound of a simple range query: may be empty, must not start with NUL (that space is composite keys)."""
    text = _check_text(key, what)
    if text.startswith(COMPOSITE_PREFIX):
        raise ValueError(f"{what} {text!r} starts with a NUL character, reserved for composite keys")
    return text


def create_composite_key(object_type: str, attributes: Iterable[str]) -> str:
    """Join an object type and attributes into one key; none of them may contain NUL, the separator."""
    parts = [_check_part(object_type, "object type")]
    parts.extend(_check_part(attribute, "attribute") for attribute in attributes)
    return COMPOSITE_PREFIX + "".join(part + SEPARATOR for part in parts)


def split_composite_key(key: str) -> tuple[str, list[str]]:
    """The object type and attributes of a composite key (inverse of create_composite_key)."""
    _check_text(key, "composite key")
    if not key.startswith(COMPOSITE_PREFIX) or not key.endswith(SEPARATOR) or len(key) < 2:
        raise ValueError(f"{key!r} is not a composite key")
    parts = key[1:-1].split(SEPARATOR)
    return parts[0], parts[1:]


def partial_key_range(object_type: str, attributes: Iterable[str]) -> tuple[str, str]:
    """[start, end) covering every composite key that begins with these type and attributes."""
    start = create_composite_key(object_type, attributes)
    return start, start + MAX_CHAR


def _check_part(part: object, what: str) -> str:
    text = _check_text(part, what)
    if SEPARATOR in text:
        raise ValueError(f"{what} {text!r} contains a NUL character, the composite key separator")
    return text
