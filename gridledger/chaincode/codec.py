"""How arguments and results cross the wire: bytes in, bytes out, decoded by the parameter's type annotation.

Proposals carry arguments as raw bytes, so each parameter's annotation says how to read them: `bytes` as is, `str`
(or no annotation) as UTF-8, `int` as a decimal integer, `float`/`bool`/`dict`/`list`/`Any` as JSON. Results go the
other way: bytes as is, str as UTF-8, None as empty, anything JSON-able as canonical JSON (sorted keys, no spaces),
because endorsers compare response bytes and must produce identical ones.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from typing import Any

Decoder = Callable[[bytes], Any]
_INTEGER = re.compile(r"-?[0-9]+\Z")


class ArgumentError(ValueError):
    """An argument that does not decode as its parameter's type (a client error)."""


def _as_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ArgumentError("is not valid UTF-8") from None


def _as_int(raw: bytes) -> int:
    text = _as_text(raw)
    if not _INTEGER.match(text) or len(text) > 4000:
        raise ArgumentError(f"{text[:40]!r} is not a decimal integer")
    return int(text)


def _as_json(raw: bytes) -> Any:
    text = _as_text(raw)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArgumentError(f"is not valid JSON ({exc.msg})") from None
    except RecursionError:  # arrays or objects nested about a thousand deep
        raise ArgumentError("is JSON nested too deeply") from None
    except ValueError as exc:  # an integer of more digits than int() converts (sys.get_int_max_str_digits)
        raise ArgumentError(f"is not usable JSON ({exc})") from None


def _as_float(raw: bytes) -> float:
    value = _as_json(raw)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError("is not a JSON number")
    try:
        return float(value)
    except OverflowError:  # a JSON integer beyond the float range
        raise ArgumentError("is a number too large for a float") from None


def _as_bool(raw: bytes) -> bool:
    value = _as_json(raw)
    if not isinstance(value, bool):
        raise ArgumentError("is not true or false")
    return value


def _as_bytes(raw: bytes) -> bytes:
    return raw


_BY_TYPE: dict[object, Decoder] = {
    str: _as_text, bytes: _as_bytes, int: _as_int, float: _as_float, bool: _as_bool,
    dict: _as_json, list: _as_json, typing.Any: _as_json, object: _as_json,
}
# Annotations stay strings under `from __future__ import annotations`; contracts then need not import what the
# hints name (for example the stub type) at run time, so plain names are resolved here without evaluating them.
_BY_NAME: dict[str, Decoder] = {
    "str": _as_text, "bytes": _as_bytes, "int": _as_int, "float": _as_float, "bool": _as_bool,
    "dict": _as_json, "list": _as_json, "Any": _as_json, "typing.Any": _as_json, "object": _as_json,
}


def decoder_for(annotation: object) -> Decoder:
    """The decoder for a parameter annotation (None: unannotated, read as text); TypeError if there is none."""
    if annotation is None:
        return _as_text
    if isinstance(annotation, str):
        name = annotation.strip()
        base = name.split("[", 1)[0].strip()
        if base in _BY_NAME:
            return _BY_NAME[base]
        raise TypeError(f"cannot decode arguments annotated {annotation!r}; use str, bytes, int, float, bool, "
                        "dict, list or Any")
    origin = typing.get_origin(annotation) or annotation
    if origin in _BY_TYPE:
        return _BY_TYPE[origin]
    raise TypeError(f"cannot decode arguments annotated {annotation!r}; use str, bytes, int, float, bool, dict, "
                    "list or Any")


def encode_value(value: object) -> bytes:
    """Bytes for a result or an argument to another chaincode; TypeError for values with no defined encoding."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"cannot encode a {type(value).__name__} as a chaincode value: {exc}") from None
