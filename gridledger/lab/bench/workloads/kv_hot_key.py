"""kv-hot-key: contention on purpose. Every transaction of every worker transfers 1 between the same few keys, so
within a block only the first transaction touching a key is VALID and the others fail MVCC_READ_CONFLICT; the
validation-code chart shows how Fabric-style optimistic concurrency behaves under a hot key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gridledger.lab.bench.workloads.base import Transaction, WorkerSlot, Workload, submit_all
from gridledger.lab.bench.workloads.kv_read_write import INITIAL_BALANCE
from gridledger.sdk import Contract


class KvHotKey(Workload):
    """Options: hot_keys (default 2, at least 2: a transfer needs two keys)."""

    name = "kv-hot-key"

    def __init__(self, slot: WorkerSlot, options: Mapping[str, Any]) -> None:
        super().__init__(slot, options)
        self.keys = [f"hot-{i}" for i in range(max(self.option("hot_keys", 2), 2))]

    async def setup(self, contract: Contract) -> None:
        if self.slot.worker == 0:
            await submit_all(contract, (Transaction("put", (key, INITIAL_BALANCE)) for key in self.keys))

    def transaction(self, sequence: int) -> Transaction:
        count = len(self.keys)
        return Transaction("transfer", (self.keys[sequence % count], self.keys[(sequence + 1) % count], 1))
