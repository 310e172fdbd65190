"""Seeded mutation of valid messages, in two kinds: byte edits (flips, inserts, deletes, repeats, splices) and
protobuf-aware edits (decode the message, change one field anywhere in its tree, including inside `bytes` fields
that hold a serialized sub-message, and encode it again).

The protobuf-aware half stands in for libprotobuf-mutator, whose Python binding (atheris-libprotobuf-mutator)
needs bazel to build and does not build here. The pytest slice drives `Mutator` alone with a fixed seed; the atheris
run (tests/fuzz/atheris_child.py) uses it as the custom mutator beside libFuzzer's own byte mutations.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError, Message

# Values that sit on the edges decoders get wrong: signs, widths, varint boundaries.
EDGE_INTEGERS = (0, 1, -1, 2**31 - 1, -(2**31), 2**32 - 1, 2**63 - 1, -(2**63), 2**64 - 1, 127, 128, 255, 256)
EDGE_BYTES = (b"", b"\x00", b"\xff" * 8, b"\x80" * 10, b"\x0f\xff\xff", b"[" * 1200, b"{\"a\":" * 600)
EDGE_TEXT = ("", "\x00", "é" * 300, "a" * 5000, "../../etc/passwd", "%s%n", "\ud7ff", "-1", "9" * 5000)
NESTED_DEPTH = 3  # how deep a bytes field is taken apart as a serialized message


class Mutator:
    """Mutates inputs of one message type (or plain bytes when `message` is None), reproducibly from `rng`."""

    def __init__(self, rng: random.Random, message: type[Message] | None, seeds: Sequence[bytes],
                 max_size: int = 16384) -> None:
        self._rng = rng
        self._message = message
        self._seeds = list(seeds)
        self._max_size = max_size

    def mutate(self, data: bytes) -> bytes:
        """One to three edits of `data`, structural ones only when it decodes as the target's message."""
        for _ in range(self._rng.randint(1, 3)):
            if self._message is not None and self._rng.random() < 0.6:
                data = self._structural(data, self._message, NESTED_DEPTH)
            else:
                data = self._bytes(data)
        return data[: self._max_size]

    def next_input(self) -> bytes:
        return self.mutate(self._rng.choice(self._seeds))

    # ----- byte edits -----

    def _bytes(self, data: bytes) -> bytes:
        rng = self._rng
        buffer = bytearray(data)
        operation = rng.randrange(8)
        at = rng.randint(0, len(buffer))
        if operation == 0 and buffer:
            buffer[min(at, len(buffer) - 1)] ^= 1 << rng.randrange(8)
        elif operation == 1 and buffer:
            buffer[min(at, len(buffer) - 1)] = rng.choice((0, 0x7F, 0x80, 0xFF, rng.randrange(256)))
        elif operation == 2:
            buffer[at:at] = rng.randbytes(rng.randint(1, 16))
        elif operation == 3 and buffer:
            del buffer[at : at + rng.randint(1, 32)]
        elif operation == 4 and buffer:
            start = rng.randrange(len(buffer))
            chunk = buffer[start : start + rng.randint(1, 8)]
            buffer[at:at] = chunk * rng.randint(2, 400)
        elif operation == 5:
            other = rng.choice(self._seeds)
            cut = rng.randint(0, len(other))
            buffer = buffer[:at] + bytearray(other[cut:])
        elif operation == 6:
            buffer = buffer[:at]
        else:
            buffer[at:at] = rng.choice(EDGE_BYTES)
        return bytes(buffer)

    # ----- protobuf-aware edits -----

    def _structural(self, data: bytes, message_type: type[Message], depth: int) -> bytes:
        try:
            message = message_type.FromString(data)
        except (DecodeError, ValueError):
            return self._bytes(data)
        fields = list(_leaves(message))
        if not fields:
            return self._bytes(data)
        owner, field = self._rng.choice(fields)
        self._edit(owner, field, depth)
        return message.SerializeToString()

    def _edit(self, owner: Message, field: FieldDescriptor, depth: int) -> None:
        rng = self._rng
        repeated = field.is_repeated
        if repeated and not _is_map(field):
            values = getattr(owner, field.name)
            if len(values) and rng.random() < 0.5:
                if rng.random() < 0.5:
                    del values[rng.randrange(len(values))]
                else:  # the same element again: duplicates are what dedup and quorum checks must see
                    values.append(values[rng.randrange(len(values))])
                return
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                values.add()
            else:
                values.append(self._scalar(field, None, depth))
            return
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            owner.ClearField(field.name)
            return
        setattr(owner, field.name, self._scalar(field, getattr(owner, field.name), depth))

    def _scalar(self, field: FieldDescriptor, current: object, depth: int) -> object:
        rng = self._rng
        if field.type == FieldDescriptor.TYPE_BYTES:
            value = current if isinstance(current, bytes) else b""
            if depth > 0 and value and rng.random() < 0.7:
                return self._nested_bytes(value, depth - 1)
            return self._bytes(value)
        if field.type == FieldDescriptor.TYPE_STRING:
            return rng.choice(EDGE_TEXT) if rng.random() < 0.6 else (current or "") + rng.choice(EDGE_TEXT)
        if field.type == FieldDescriptor.TYPE_BOOL:
            return not current
        if field.type == FieldDescriptor.TYPE_ENUM:
            return rng.choice((0, 1, 2, 7, 99, 2**31 - 1))
        if field.type in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return rng.choice((0.0, -0.0, 1e308, float("inf"), float("nan")))
        return _fit(field, rng.choice(EDGE_INTEGERS) if rng.random() < 0.7 else
                    int(current or 0) + rng.randint(-3, 3))

    def _nested_bytes(self, value: bytes, depth: int) -> bytes:
        """Bytes that decode as some message of ours are edited as that message: which type is not known from
        the schema, so the edit goes through an unknown-field-preserving generic parse of the wire format."""
        return _rewrite_wire(value, lambda inner: self._nested_edit(inner, depth), self._rng) or self._bytes(value)

    def _nested_edit(self, inner: bytes, depth: int) -> bytes:
        if depth > 0 and inner and self._rng.random() < 0.5:
            return self._nested_bytes(inner, depth - 1)
        return self._bytes(inner)


def _leaves(message: Message):
    """Every (message, field) pair in the tree, set or not, so edits can also fill fields that were empty."""
    for field in message.DESCRIPTOR.fields:
        yield message, field
        if field.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(field):
            if field.is_repeated:
                for child in getattr(message, field.name):
                    yield from _leaves(child)
            elif message.HasField(field.name):
                yield from _leaves(getattr(message, field.name))


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


_WIDTH = {FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
          FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
          FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1), FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
          FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1)}


def _fit(field: FieldDescriptor, value: int) -> int:
    """An integer the field's type can hold (protobuf refuses out-of-range assignments)."""
    low, high = _WIDTH.get(field.type, (-(2**63), 2**63 - 1))
    return min(max(value, low), high)


def _read_varint(data: bytes, at: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at += 1
        shift += 7
        if not byte & 0x80:
            return value, at


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _rewrite_wire(data: bytes, edit, rng: random.Random) -> bytes | None:
    """`data` with one of its length-delimited fields replaced by `edit(content)`; None if `data` is not a
    well-formed protobuf wire encoding with such a field."""
    spans: list[tuple[int, int, int]] = []  # (key start, content start, content end)
    at = 0
    try:
        while at < len(data):
            start = at
            key, at = _read_varint(data, at)
            wire_type = key & 7
            if wire_type == 0:
                _, at = _read_varint(data, at)
            elif wire_type == 1:
                at += 8
            elif wire_type == 5:
                at += 4
            elif wire_type == 2:
                length, at = _read_varint(data, at)
                spans.append((start, at, at + length))
                at += length
            else:
                return None
            if at > len(data):
                return None
    except ValueError:
        return None
    if not spans:
        return None
    key_start, content_start, content_end = rng.choice(spans)
    key_end = key_start
    _, key_end = _read_varint(data, key_start)
    content = edit(data[content_start:content_end])
    return data[:key_start] + data[key_start:key_end] + _varint(len(content)) + content + data[content_end:]
