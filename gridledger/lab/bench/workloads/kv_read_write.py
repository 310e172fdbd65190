"""kv-read-write: read-modify-write over a preloaded key space. Each transaction is a kv `transfer` of 1 between
two random keys of the worker's own partition, which reads both balances and writes both back. Partitions keep
workers from conflicting with each other; conflicts left are this worker's own concurrent transactions landing in
one block, which grow with the rate and shrink with the key space."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from gridledger.lab.bench.workloads.base import Transaction, WorkerSlot, Workload, submit_all
from gridledger.sdk import Contract

INITIAL_BALANCE = "1000000000"


class KvReadWrite(Workload):
    """Options: keys (size of the whole key space, default 1000, split evenly between workers), seed."""

    name = "kv-read-write"

    def __init__(self, slot: WorkerSlot, options: Mapping[str, Any]) -> None:
        super().__init__(slot, options)
        total = max(self.option("keys", 1000), 2 * slot.workers)
        self.keys = [f"rw-{i}" for i in range(slot.worker, total, slot.workers)]
        self.random = random.Random(self.option("seed", 1) * 1000 + slot.worker)

    async def setup(self, contract: Contract) -> None:
        await submit_all(contract, (Transaction("put", (key, INITIAL_BALANCE)) for key in self.keys))

    def transaction(self, sequence: int) -> Transaction:
        source, target = self.random.sample(self.keys, 2)
        return Transaction("transfer", (source, target, 1))
