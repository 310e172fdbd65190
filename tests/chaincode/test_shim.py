"""The shim in-process: composite keys, key validation, argument decoding, result encoding and error mapping."""

from __future__ import annotations

import json

import pytest

from gridledger.chaincode import (
    ChaincodeError,
    ChaincodeStub,
    Contract,
    create_composite_key,
    query,
    split_composite_key,
    transaction,
)
from gridledger.chaincode.composite import EMPTY_START, MAX_CHAR
from gridledger.chaincode.runner import run_function

from .fakes import MemoryBackend, make_context


class Sample(Contract):
    @transaction
    def store(self, stub: ChaincodeStub, key: str, count: int, data: dict, raw: bytes) -> dict:
        stub.put_state(key, json.dumps({"count": count, "data": data, "raw": raw.hex()}).encode())
        stub.set_event("stored", key.encode())
        return {"z": 1, "a": [count, data]}

    @query
    def read(self, stub: ChaincodeStub, key: str) -> bytes:
        value = stub.get_state(key)
        if value is None:
            raise ChaincodeError(f"no {key}", 400)
        return value

    @query
    def sneaky(self, stub: ChaincodeStub) -> None:
        stub.put_state("x", b"y")

    @transaction
    def fails(self, stub: ChaincodeStub) -> None:
        raise KeyError("missing-thing")

    @transaction
    def variadic(self, stub: ChaincodeStub, first: str, *rest: int) -> int:
        return len(first) + sum(rest)

    @query
    def nothing(self, stub: ChaincodeStub) -> None:
        return None

    @query
    def unencodable(self, stub: ChaincodeStub) -> object:
        return object()

    def helper(self, stub: ChaincodeStub) -> str:
        return "not callable from outside"


def run(function: str, *args: bytes, backend: MemoryBackend | None = None):
    return run_function(Sample(), make_context(), function, list(args), backend or MemoryBackend())


def test_composite_key_round_trip() -> None:
    key = create_composite_key("meter", ["house-7", "2024-01-01T00:15", "ünïcode"])
    assert key == "\x00meter\x00house-7\x002024-01-01T00:15\x00ünïcode\x00"
    assert split_composite_key(key) == ("meter", ["house-7", "2024-01-01T00:15", "ünïcode"])
    assert split_composite_key(create_composite_key("t", [])) == ("t", [])
    assert split_composite_key(create_composite_key("t", ["", "x"])) == ("t", ["", "x"])


@pytest.mark.parametrize(("object_type", "attributes"), [("meter", ["a\x00b"]), ("me\x00ter", ["a"]),
                                                        ("meter", ["ok", "\x00"])])
def test_composite_key_rejects_nul(object_type: str, attributes: list[str]) -> None:
    with pytest.raises(ValueError, match="NUL"):
        create_composite_key(object_type, attributes)


def test_composite_key_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        create_composite_key("meter", [b"bytes"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="surrogate"):
        create_composite_key("meter", ["\udc80"])
    with pytest.raises(ValueError, match="not a composite key"):
        split_composite_key("plain-key")


def test_stub_ranges_keep_simple_and_composite_keys_apart() -> None:
    backend = MemoryBackend()
    stub = ChaincodeStub(make_context(), "f", [], backend)
    list(stub.get_state_by_range("", ""))
    list(stub.get_state_by_partial_composite_key("asset", ["alice"]))
    assert backend.ranges == [(EMPTY_START, ""), ("\x00asset\x00alice\x00", "\x00asset\x00alice\x00" + MAX_CHAR)]
    with pytest.raises(ValueError, match="composite"):
        stub.get_state_by_range("\x00asset", "")
    with pytest.raises(ValueError, match="empty"):
        stub.put_state("", b"v")
    with pytest.raises(TypeError, match="bytes"):
        stub.put_state("k", "text")  # type: ignore[arg-type]


def test_stub_exposes_context() -> None:
    context = make_context(transient={"secret": b"s3"})
    stub = ChaincodeStub(context, "fn", [b"a1"], MemoryBackend())
    assert (stub.tx_id, stub.channel_id, stub.tx_timestamp) == ("tx-1", "energy", 1_700_000_000_000_000_000)
    assert stub.creator.msp_id == "Org1MSP" and stub.creator.role == "client"
    assert stub.transient["secret"] == b"s3"
    with pytest.raises(TypeError):
        stub.transient["secret"] = b"other"  # type: ignore[index]
    assert (stub.function, stub.args) == ("fn", (b"a1",))
    assert stub.invoke_chaincode("other", "f", ["x", 3, {"k": 1}]).payload == b'other|f|x|3|{"k":1}'


def test_arguments_are_decoded_by_annotation_and_results_encoded_canonically() -> None:
    backend = MemoryBackend()
    outcome = run("store", b"k1", b"-42", b'{"b": 2, "a": [1]}', b"\xff\x00", backend=backend)
    assert outcome.response.status == 200
    assert outcome.response.payload == b'{"a":[-42,{"a":[1],"b":2}],"z":1}'
    assert json.loads(backend.data["k1"]) == {"count": -42, "data": {"a": [1], "b": 2}, "raw": "ff00"}
    assert outcome.event == ("stored", b"k1")
    assert run("variadic", b"abc", b"1", b"2").response.payload == b"6"
    assert run("nothing").response.payload == b""
    assert run("read", b"k", backend=MemoryBackend({"k": b"\x01raw"})).response.payload == b"\x01raw"


@pytest.mark.parametrize(("function", "args", "status", "fragment"), [
    ("nope", [], 400, "unknown function 'nope'"),
    ("helper", [], 400, "unknown function 'helper'"),
    ("store", [b"k"], 400, "takes 4 argument(s), got 1"),
    ("store", [b"k", b"1.5", b"{}", b""], 400, "argument 2 (count)"),
    ("store", [b"k", b"1", b"{bad", b""], 400, "argument 3 (data) of store is not valid JSON"),
    ("store", [b"\xff", b"1", b"{}", b""], 400, "not valid UTF-8"),
    ("read", [b"absent"], 400, "no absent"),
    ("fails", [], 500, "KeyError: 'missing-thing'"),
    ("sneaky", [], 500, "put_state is not allowed in query function 'sneaky'"),
    ("unencodable", [], 500, "cannot encode"),
])
def test_errors_become_responses(function: str, args: list[bytes], status: int, fragment: str) -> None:
    outcome = run(function, *args)
    assert outcome.response.status == status
    assert fragment in outcome.response.message
    assert "Traceback" not in outcome.response.message
    assert outcome.event is None


def test_contract_definition_errors_are_caught_at_class_creation() -> None:
    with pytest.raises(TypeError, match="cannot decode"):
        class BadAnnotation(Contract):
            @transaction
            def f(self, stub: ChaincodeStub, value: set) -> None: ...

    with pytest.raises(TypeError, match="public"):
        class Private(Contract):
            @transaction
            def _hidden(self, stub: ChaincodeStub) -> None: ...

    class Base(Contract):
        @transaction
        def a(self, stub: ChaincodeStub) -> None: ...

    class Child(Base):
        def a(self, stub: ChaincodeStub) -> None: ...  # overridden without decorator: no longer callable

        @query
        def b(self, stub: ChaincodeStub) -> None: ...

    assert set(Base.functions()) == {"a"}
    assert set(Child.functions()) == {"b"}
