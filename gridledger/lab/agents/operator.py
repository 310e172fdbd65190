"""The market operator's side of a slot: phase transitions at their clock boundaries, clearing and settlement,
and the `clock` transactions that keep blocks flowing so ledger height can serve as the market clock; and
MarketOperator, which runs all of that for every slot of a market by itself (`gridledger market operate`).

None of these carry a choice: each computes only what the ledger already determines, so any registered party may
run them; the runner gives them to the utility.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

from gridledger.common.market.config import Clock
from gridledger.lab.agents.chainclock import ChainClock
from gridledger.lab.agents.submitter import Submitter, Tag
from gridledger.sdk import NO_RETRY, Contract, GridLedgerError, SubmitResult


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

    async def transition(self, function: str, tx_type: str, slot: int, not_before_height: int = 0,
                         on_result: Callable[[SubmitResult], None] = lambda _: None) -> bool:
        """Submit `function(market, slot)` once the clock reached `not_before_height`; True once it committed
        (its result goes to `on_result`)."""
        await self._clock.wait_for_height(not_before_height)
        for _ in range(self._patience):
            result = await self._submitter.submit(self._contract, function, [self._market_id, slot],
                                                  Tag(tx_type, "other", slot))
            if result is not None:
                on_result(result)
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


# A slot's clock-gated steps in order: (function, tx_type, the phase it leads to, the boundary it waits for).
STEPS: tuple[tuple[str, str, str, Callable[[Clock, int], int]], ...] = (
    ("close_bids", "closeBids", "reveal", Clock.bid_end),
    ("close_reveals", "closeReveals", "closed", Clock.reveal_end),
    ("clear", "clear", "cleared", Clock.reveal_end),
    ("settle", "settle", "settled", Clock.settle_from),
)
PHASES = ("bid", "reveal", "closed", "cleared", "settled")


@dataclass(frozen=True)
class Step:
    """One step the operator took (or gave up on: `result` None)."""

    slot: int
    function: str
    result: SubmitResult | None


class MarketOperator:
    """Runs a market by itself, as `gridledger market operate` does: `clock` transactions keep blocks coming (the
    market clock of height mode), and every slot is moved through its phases as the clock passes its boundaries
    (close_bids at bid_end, close_reveals and clear at reveal_end, settle at settle_from), slots overlapping as in
    the experiments. A step a slot has already passed (another operator, an earlier run) is skipped, so an operator
    can be stopped and started again. Each step is reported to `on_step`."""

    def __init__(self, contract: Contract, market_id: str, schedule: Clock, clock: ChainClock, submitter: Submitter,
                 on_step: Callable[[Step], None] = lambda _: None) -> None:
        self._contract = contract
        self._market_id = market_id
        self._schedule = schedule
        self._clock = clock
        self._operator = Operator(contract, market_id, clock, submitter)
        self._on_step = on_step

    def current_slot(self) -> int:
        """The slot whose period the clock is in (0 before the market starts)."""
        return max(0, (self._clock.height - self._schedule.start) // self._schedule.slot_length)

    async def phase(self, slot: int, patience: int = 20) -> str:
        """The slot's phase on the ledger; an unanswered query is asked again a block later, `patience` times."""
        for attempt in range(patience):
            try:
                return json.loads(await self._operator.query("get_slot", self._market_id, slot))["phase"]
            except GridLedgerError:
                if attempt == patience - 1:
                    raise
                await self._clock.wait_blocks(1)
        raise AssertionError("unreachable")

    async def run_slot(self, slot: int) -> bool:
        """Take the slot's remaining steps; True once it is settled."""
        phase = await self.phase(slot)
        for function, tx_type, reaches, boundary in STEPS:
            if PHASES.index(phase) >= PHASES.index(reaches):
                continue
            submitter_result: list[SubmitResult | None] = []
            done = await self._operator.transition(function, tx_type, slot, boundary(self._schedule, slot),
                                                   on_result=submitter_result.append)
            self._on_step(Step(slot, function, submitter_result[-1] if done and submitter_result else None))
            phase = reaches if done else await self.phase(slot)
            if PHASES.index(phase) < PHASES.index(reaches):
                return False
        return True

    async def run(self, first_slot: int | None = None, slots: int | None = None) -> None:
        """Operate from `first_slot` (default: two slots before the current one, so slots an earlier operator
        left unfinished are finished) until cancelled, or until `slots` slots are done."""
        start = self.current_slot() - 2 if first_slot is None else first_slot
        running: list[asyncio.Task] = []
        try:
            for slot in itertools.count(max(0, start)):
                if slots is not None and len(running) == slots:
                    break
                await self._clock.wait_for_height(self._schedule.opens(slot))
                running.append(asyncio.create_task(self.run_slot(slot)))
                if slots is None:  # forget finished slots; one that failed stops the operator
                    for task in [task for task in running if task.done()]:
                        task.result()
                        running.remove(task)
            await asyncio.gather(*running)
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
