"""Key/value contract: plain puts and gets plus a balance transfer that exercises read-modify-write (and so MVCC).

Balances are decimal integer strings: integers are exact on every peer, where floats would invite rounding
differences between implementations.
"""

from __future__ import annotations

import re

from gridledger.chaincode import ChaincodeError, ChaincodeStub, Contract, query, transaction
from gridledger.chaincode.errors import BAD_REQUEST

_BALANCE = re.compile(r"-?[0-9]+\Z")


def _text(value: bytes) -> str:
    return value.decode("utf-8", errors="replace")


def _balance(key: str, value: bytes | None) -> int:
    if value is None:
        return 0
    text = _text(value)
    if not _BALANCE.match(text):
        raise ChaincodeError(f"{key!r} holds {text[:40]!r}, not an integer balance")
    return int(text)


class KeyValue(Contract):
    """put/get/delete/range over string values, and transfer between integer balances."""

    @transaction
    def put(self, stub: ChaincodeStub, key: str, value: str) -> None:
        stub.put_state(key, value.encode("utf-8"))

    @query
    def get(self, stub: ChaincodeStub, key: str) -> bytes:
        value = stub.get_state(key)
        if value is None:
            raise ChaincodeError(f"key {key!r} does not exist", BAD_REQUEST)
        return value

    @transaction
    def delete(self, stub: ChaincodeStub, key: str) -> None:
        stub.del_state(key)

    @query
    def range(self, stub: ChaincodeStub, start: str, end: str) -> list[list[str]]:
        """[[key, value], ...] for start <= key < end; an empty end means to the last key."""
        return [[key, _text(value)] for key, value in stub.get_state_by_range(start, end)]

    @transaction
    def transfer(self, stub: ChaincodeStub, from_key: str, to_key: str, amount: int) -> dict[str, int]:
        """Move `amount` from one balance to another; a missing balance counts as 0. Returns both new balances."""
        if amount <= 0:
            raise ChaincodeError(f"amount must be positive, got {amount}", BAD_REQUEST)
        if from_key == to_key:
            raise ChaincodeError("cannot transfer to the same key", BAD_REQUEST)
        source_raw, target_raw = stub.get_states([from_key, to_key])
        source = _balance(from_key, source_raw)
        target = _balance(to_key, target_raw)
        if source < amount:
            raise ChaincodeError(f"insufficient balance: {from_key!r} has {source}, transfer needs {amount}")
        stub.put_state(from_key, str(source - amount).encode())
        stub.put_state(to_key, str(target + amount).encode())
        return {from_key: source - amount, to_key: target + amount}
