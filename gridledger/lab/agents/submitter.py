"""Submitting a transaction the way island's clients do: retry failures after a random number of blocks.

Before retry n (1-based) the client waits a whole number of blocks drawn uniformly from [0, alpha * 2^(n-1)); with
island's alpha = 10 and 2 retries a bid gets three attempts. Every attempt becomes one TxRecord.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from gridledger.lab.agents.chainclock import ChainClock
from gridledger.lab.agents.records import TxLog, TxRecord
from gridledger.sdk import NO_RETRY, ChaincodeError, Contract, GridLedgerError, SubmitResult, TransactionInvalid


@dataclass(frozen=True)
class BlockBackoff:
    """island's retry rule, counted in blocks."""

    alpha: int = 10
    retries: int = 2

    def __post_init__(self) -> None:
        if self.alpha < 1 or self.retries < 0:
            raise ValueError(f"backoff needs alpha >= 1 and retries >= 0, got {self.alpha}, {self.retries}")

    def blocks_before(self, retry: int, rng: random.Random) -> int:
        """Blocks to wait before retry number `retry` (1-based)."""
        return rng.randrange(self.alpha * 2 ** (retry - 1))


@dataclass(frozen=True)
class Tag:
    """What a transaction is, for the per-transaction CSV."""

    tx_type: str
    phase: str
    slot: int
    household: str = ""


def status_of(error: GridLedgerError) -> str:
    """The tx_status column for a failed attempt: the validation code, the chaincode's status, or the error kind."""
    if isinstance(error, TransactionInvalid):
        return error.code_name
    if isinstance(error, ChaincodeError):
        return f"CHAINCODE_{error.status}"
    return type(error).__name__.upper()


class Submitter:
    """Submits with block backoff and logs every attempt."""

    def __init__(self, clock: ChainClock, log: TxLog, backoff: BlockBackoff, rng: random.Random) -> None:
        self._clock = clock
        self._log = log
        self.backoff = backoff
        self._rng = rng

    async def submit(self, contract: Contract, function: str, args: Sequence[object], tag: Tag,
                     *, retries: int | None = None) -> SubmitResult | None:
        """The committed result, or None when every attempt failed (a chaincode refusal is not retried: the
        chaincode would refuse again, e.g. a bid after the gate closed)."""
        limit = self.backoff.retries if retries is None else retries
        for attempt in range(1, limit + 2):
            started = time.perf_counter()
            submitted = self._log.now()
            try:
                result = await contract.submit(function, *args, retry=NO_RETRY)
            except GridLedgerError as error:
                self._record(tag, attempt, submitted, started, status_of(error), getattr(error, "tx_id", ""),
                             getattr(error, "block", None))
                if isinstance(error, ChaincodeError) or attempt > limit:
                    return None
                await self._clock.wait_blocks(self.backoff.blocks_before(attempt, self._rng))
                continue
            self._record(tag, attempt, submitted, started, "VALID", result.tx_id, result.block)
            return result
        return None

    def _record(self, tag: Tag, attempt: int, submitted: float, started: float, status: str, tx_id: str,
                block: int | None) -> None:
        latency = (time.perf_counter() - started) * 1000
        self._log.add(TxRecord(tx_id or "", tag.slot, tag.household, tag.tx_type, tag.phase, attempt, submitted,
                               latency, status, block))
