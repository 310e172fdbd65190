"""TxSimulator: runs one transaction's state access against a consistent snapshot and produces its read/write set.

Choices:
- Reads see the transaction's own earlier writes (unlike Fabric, which shows committed state only), so a contract
  that writes then reads behaves as ordinary code would. A read served from the transaction's own write depends on
  nothing committed and is not recorded; a read of committed state records the key with its version (no version:
  the key did not exist), once per key, the first time.
- Range queries merge committed state with the transaction's writes made before the query started; see rangescan.
- The read/write set lists namespaces, reads and writes sorted by key (range queries in execution order), so every
  endorser that ran the same deterministic chaincode on the same state produces identical bytes.
Not thread-safe: one simulator serves one transaction, on one thread at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from gridledger.peer.chaincode.rangescan import RangeScan
from gridledger.v1 import rwset_pb2


class VersionedValue(Protocol):
    @property
    def value(self) -> bytes: ...

    @property
    def block_num(self) -> int: ...

    @property
    def tx_num(self) -> int: ...


class StateReader(Protocol):
    """A consistent view of committed state (gridledger.peer.ledger.StateSnapshot has this shape)."""

    def get(self, namespace: str, key: str) -> VersionedValue | None: ...

    def get_many(self, namespace: str, keys: list[str]) -> list[VersionedValue | None]: ...

    def range(self, namespace: str, start_key: str, end_key: str) -> Iterator[tuple[str, VersionedValue]]: ...


@dataclass(frozen=True, slots=True)
class BufferedValue:
    """A value this transaction wrote itself: it has no committed version yet."""

    value: bytes
    block_num: None = None
    tx_num: None = None


Savepoint = dict[str, dict[str, bytes | None]]


class TxSimulator:
    """Records reads (with versions), range queries and buffered writes per namespace for one transaction."""

    def __init__(self, state: StateReader) -> None:
        self._state = state
        self._reads: dict[str, dict[str, rwset_pb2.KVRead]] = {}
        self._read_values: dict[str, dict[str, VersionedValue | None]] = {}
        self._writes: dict[str, dict[str, bytes | None]] = {}
        self._ranges: dict[str, list[RangeScan]] = {}

    # ---- reads ----

    def get_versioned_many(self, namespace: str, keys: Sequence[str]) -> list[VersionedValue | BufferedValue | None]:
        """Current values of `keys` (own writes first, then committed state, fetched in one batch)."""
        writes = self._writes.get(namespace, {})
        known = self._read_values.setdefault(namespace, {})
        missing = [key for key in dict.fromkeys(keys) if key not in writes and key not in known]
        if missing:
            reads = self._reads.setdefault(namespace, {})
            for key, found in zip(missing, self._state.get_many(namespace, missing), strict=True):
                known[key] = found
                read = rwset_pb2.KVRead(key=key)
                if found is not None:
                    read.version.block_num = found.block_num
                    read.version.tx_num = found.tx_num
                reads[key] = read
        result: list[VersionedValue | BufferedValue | None] = []
        for key in keys:
            if key in writes:
                written = writes[key]
                result.append(None if written is None else BufferedValue(written))
            else:
                result.append(known[key])
        return result

    def get_versioned(self, namespace: str, key: str) -> VersionedValue | BufferedValue | None:
        return self.get_versioned_many(namespace, [key])[0]

    def get_states(self, namespace: str, keys: Sequence[str]) -> list[bytes | None]:
        return [None if found is None else found.value for found in self.get_versioned_many(namespace, keys)]

    def get_state(self, namespace: str, key: str) -> bytes | None:
        return self.get_states(namespace, [key])[0]

    def get_state_by_range(self, namespace: str, start_key: str, end_key: str) -> RangeScan:
        """Iterator of (key, value) for start_key <= key < end_key ("" end: unbounded), recorded for validation."""
        scan = RangeScan(start_key, end_key, iter(self._state.range(namespace, start_key, end_key)),
                         self._writes.get(namespace, {}))
        self._ranges.setdefault(namespace, []).append(scan)
        return scan

    # ---- writes ----

    def put_state(self, namespace: str, key: str, value: bytes) -> None:
        self._writes.setdefault(namespace, {})[key] = bytes(value)

    def del_state(self, namespace: str, key: str) -> None:
        self._writes.setdefault(namespace, {})[key] = None

    def apply_writes(self, namespace: str, writes: Iterable[rwset_pb2.KVWrite]) -> None:
        """Apply writes in order (later ones win), as a chaincode worker ships them back."""
        target = self._writes.setdefault(namespace, {})
        for write in writes:
            target[write.key] = None if write.is_delete else write.value

    def savepoint(self) -> Savepoint:
        """The writes so far, to undo a failed nested chaincode call (reads stay recorded: they were made)."""
        return {namespace: dict(writes) for namespace, writes in self._writes.items()}

    def rollback(self, savepoint: Savepoint) -> None:
        self._writes = {namespace: dict(writes) for namespace, writes in savepoint.items()}

    # ---- result ----

    @property
    def has_writes(self) -> bool:
        return any(self._writes.values())

    def rwset(self) -> rwset_pb2.TxReadWriteSet:
        """The read/write set in canonical order (namespaces, reads and writes sorted by key)."""
        result = rwset_pb2.TxReadWriteSet()
        for namespace in sorted(set(self._reads) | set(self._writes) | set(self._ranges)):
            reads = self._reads.get(namespace, {})
            writes = self._writes.get(namespace, {})
            ranges = self._ranges.get(namespace, [])
            if not (reads or writes or ranges):
                continue
            ns = result.ns_rwset.add(namespace=namespace)
            ns.reads.extend(reads[key] for key in sorted(reads))
            ns.range_queries.extend(scan.query_info() for scan in ranges)
            for key in sorted(writes):
                value = writes[key]
                ns.writes.add(key=key, is_delete=value is None, value=value or b"")
        return result

    def close(self) -> None:
        """Release open range iterators; the simulator's records stay readable."""
        for scans in self._ranges.values():
            for scan in scans:
                scan.close()
