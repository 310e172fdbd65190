"""kv-blind-write: puts of fixed-size values under keys never used before, so no transaction reads anything and
MVCC can never reject one; the plain cost of endorsing, ordering and committing a write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridledger.lab.bench.workloads.base import Transaction, WorkerSlot, Workload


class KvBlindWrite(Workload):
    """Options: value_size (bytes, default 100)."""

    name = "kv-blind-write"

    def __init__(self, slot: WorkerSlot, options: Mapping[str, Any]) -> None:
        super().__init__(slot, options)
        self.value = "v" * self.option("value_size", 100)

    def transaction(self, sequence: int) -> Transaction:
        return Transaction("put", (f"{self.slot.prefix}-{sequence}", self.value))
