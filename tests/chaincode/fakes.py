"""Test doubles: an in-memory committed state (the ledger snapshot's duck type) and an in-memory stub backend."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from gridledger.chaincode import ChaincodeResponse, Creator, TxContext


class Versioned(NamedTuple):
    value: bytes
    block_num: int
    tx_num: int


class MemoryState:
    """Committed state: namespace -> key -> Versioned, with range scans in key order."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Versioned]] = {}
        self.get_many_calls = 0

    def set(self, namespace: str, key: str, value: bytes, block_num: int = 1, tx_num: int = 0) -> None:
        self.data.setdefault(namespace, {})[key] = Versioned(value, block_num, tx_num)

    def get(self, namespace: str, key: str) -> Versioned | None:
        return self.data.get(namespace, {}).get(key)

    def get_many(self, namespace: str, keys: list[str]) -> list[Versioned | None]:
        self.get_many_calls += 1
        return [self.get(namespace, key) for key in keys]

    def range(self, namespace: str, start_key: str, end_key: str) -> Iterator[tuple[str, Versioned]]:
        for key in sorted(self.data.get(namespace, {})):
            if key >= start_key and (not end_key or key < end_key):
                yield key, self.data[namespace][key]


class MemoryBackend:
    """A StateBackend over one dict, for running contracts in-process."""

    def __init__(self, data: dict[str, bytes] | None = None) -> None:
        self.data = dict(data or {})
        self.ranges: list[tuple[str, str]] = []

    def get_states(self, keys: Sequence[str]) -> list[bytes | None]:
        return [self.data.get(key) for key in keys]

    def put_state(self, key: str, value: bytes) -> None:
        self.data[key] = value

    def del_state(self, key: str) -> None:
        self.data.pop(key, None)

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes]]:
        self.ranges.append((start, end))
        return iter([(key, self.data[key]) for key in sorted(self.data) if key >= start and (not end or key < end)])

    def invoke_chaincode(self, name: str, function: str, args: list[bytes]) -> ChaincodeResponse:
        return ChaincodeResponse(200, "", b"|".join([name.encode(), function.encode(), *args]))


def make_context(tx_id: str = "tx-1", transient: dict[str, bytes] | None = None) -> TxContext:
    return TxContext(tx_id=tx_id, channel_id="energy", creator=Creator("Org1MSP", "client", "ab" * 32),
                     timestamp_ns=1_700_000_000_000_000_000, transient=transient or {})
