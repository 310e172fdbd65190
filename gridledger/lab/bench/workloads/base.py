"""The workload interface: what a benchmark worker submits, one transaction at a time.

A workload is a small class. The harness makes one instance per worker process and round, calls `setup` once
(preloading state, say) before the round starts, then `transaction(sequence)` for every transaction the rate
controller lets the worker send. To add one, subclass Workload in a module of your own and pass
`--workload package.module:ClassName`, or add it to WORKLOADS in gridledger/lab/bench/workloads/__init__.py.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from gridledger.common.msp import SigningIdentity
from gridledger.sdk import Contract, RetryPolicy

CHAINCODE_ROOT = Path(__file__).resolve().parents[3] / "chaincode"
PRELOAD_CONCURRENCY = 100
# Setup is not measured, so it retries what a fresh proposal fixes (the workers' gateways are set not to retry).
SETUP_RETRY = RetryPolicy(max_attempts=10, initial_backoff=0.1, max_backoff=1.0)


@dataclass(frozen=True)
class Transaction:
    """One submit: the chaincode function and its arguments (str, bytes or JSON-encodable values), signed by
    `identity` when given (a workload's own participants), else by the worker's client identity."""

    function: str
    args: tuple[Any, ...]
    identity: SigningIdentity | None = None


@dataclass(frozen=True)
class WorkerSlot:
    """Where a workload instance runs: its worker's index among `workers`, the round's index, a prefix that is
    unique to this run, round and worker (for keys that must never repeat), and the worker's organisation and
    crypto folder (for workloads that act as the org admin or issue identities of their own)."""

    worker: int
    workers: int
    round_index: int
    prefix: str
    msp_id: str = ""
    crypto_dir: Path | None = None


class Workload(ABC):
    """Base class of workloads. Class attributes name the workload and the chaincode it needs deployed."""

    name: ClassVar[str]
    chaincode: ClassVar[str] = "kv"
    chaincode_path: ClassVar[Path] = CHAINCODE_ROOT / "kv"

    def __init__(self, slot: WorkerSlot, options: Mapping[str, Any]) -> None:
        self.slot = slot
        self.options = dict(options)

    def option(self, key: str, default: int) -> int:
        """An integer option from the round's `options` mapping (YAML or `--option key=value`)."""
        return int(self.options.get(key, default))

    async def setup(self, contract: Contract) -> None:  # noqa: B027 - optional hook, not abstract
        """Prepare state before the round (not timed). The default needs nothing."""

    @abstractmethod
    def transaction(self, sequence: int) -> Transaction:
        """The worker's `sequence`-th transaction of the round (0-based)."""


async def submit_all(contract: Contract, transactions: Iterable[Transaction]) -> None:
    """Submit `transactions` with bounded concurrency and the SDK's retries; used by setups that preload state."""
    semaphore = asyncio.Semaphore(PRELOAD_CONCURRENCY)

    async def one(tx: Transaction) -> None:
        async with semaphore:
            await contract.submit(tx.function, *tx.args, retry=SETUP_RETRY)

    await asyncio.gather(*(one(tx) for tx in transactions))
