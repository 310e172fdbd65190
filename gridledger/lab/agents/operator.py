"""The market operator's side of a slot: phase transitions at their clock boundaries, clearing and settlement,
and the `clock` transactions that keep blocks flowing so ledger height can serve as the market clock.

None of these carry a choice: each computes only what the ledger already determines, so any registered party may
run them; the runner gives them to the utility.
"""

from __future__ import annotations

import asyncio
import contextlib

from gridledger.lab.agents.chainclock import ChainClock
from gridledger.lab.agents.submitter import Submitter, Tag
from gridledger.sdk import NO_RETRY, Contract, GridLedgerError


class Operator:
    """Drives phase transitions; a transition refused as too early (endorsers a block behind) is tried again one
    block later, up to `patience` blocks."""

    def __init__(self, contract: Contract, market_id: str, clock: ChainClock, submitter: Submitter,
                 patience: int = 20) -> None:
        self._contract = contract
        self._market_id = market_id
        self._clock = clock
        self._submitter = submitter
        self._patience = patience

    async def transition(self, function: str, tx_type: str, slot: int, not_before_height: int = 0) -> bool:
        """Submit `function(market, slot)` once the clock reached `not_before_height`; True once it committed."""
        await self._clock.wait_for_height(not_before_height)
        for _ in range(self._patience):
            if await self._submitter.submit(self._contract, function, [self._market_id, slot],
                                            Tag(tx_type, "other", slot)) is not None:
                return True
            await self._clock.wait_blocks(1)
        return False

    async def query(self, function: str, *args: object) -> bytes:
        return await self._contract.evaluate(function, *args)


class ClockTicker:
    """Submits `clock()` every `interval` seconds (island: every 100 ms), at most `in_flight` at a time, so that
    blocks keep coming while the market waits for a phase boundary."""

    def __init__(self, contract: Contract, interval: float, in_flight: int = 4) -> None:
        self._contract = contract
        self._interval = interval
        self._slots = asyncio.Semaphore(in_flight)
        self.sent = 0
        self.failed = 0

    async def run(self) -> None:
        tasks: set[asyncio.Task] = set()
        try:
            while True:
                if not self._slots.locked():
                    await self._slots.acquire()
                    task = asyncio.create_task(self._tick())
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                await asyncio.sleep(self._interval)
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _tick(self) -> None:
        try:
            await self._contract.submit("clock", retry=NO_RETRY)
            self.sent += 1
        except GridLedgerError:
            self.failed += 1
        finally:
            self._slots.release()
