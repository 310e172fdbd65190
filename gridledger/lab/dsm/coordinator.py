"""Running a planning day: the operator's (or, under proof of work, the winning house's) steps, with the houses'
steps between them, timed by phase as the thesis' Table 6.2 is (setup, PS iterations, consensus).

An offer window closes after `window_s`: a house that has not offered by then is skipped for that iteration, and a
chosen house that does not reveal within it is passed over, so a stalled house never stalls the day.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gridledger.common.dsm.config import METHOD1, POW, DsmConfig
from gridledger.common.dsm.steering import Profile, best_offer, improvement_mw, squared_norm
from gridledger.lab.dsm.houses import POLL_S, HouseAgent
from gridledger.lab.dsm.ledger import Ledger, Usage
from gridledger.sdk import ChaincodeError, GridLedgerError

T = TypeVar("T")


@dataclass(frozen=True)
class DayTiming:
    """Seconds per phase of one day and what it cost: setup (opening the day and collecting what the method
    needs), consensus (proof of work: until a coordinator won), iterations (Profile Steering), and totals."""

    setup_s: float
    consensus_s: float
    iterations_s: float
    total_s: float
    transactions: int
    pow_attempts: int


class DayCoordinator:
    def __init__(self, operator: Ledger, config: DsmConfig, houses: Sequence[HouseAgent], usage: Usage,
                 window_s: float = 10.0) -> None:
        self.operator = operator
        self.config = config
        self.houses = list(houses)
        self.usage = usage
        self.window_s = window_s
        self.nb = config.neighbourhood_id

    async def _within_window(self, steps: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
        """Run the houses' steps concurrently and return what those done in time answered; steps still running
        when the window closes are cancelled, and a refused step counts as not done."""
        tasks = [asyncio.ensure_future(step) for step in steps]
        if not tasks:
            return []
        _, late = await asyncio.wait(tasks, timeout=self.window_s)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        answered = []
        for task in tasks:
            if task.cancelled():
                continue
            error = task.exception()
            if error is None:
                answered.append(task.result())
            elif not isinstance(error, GridLedgerError | TimeoutError):
                raise error
        return answered

    async def run(self, day: int, bases: dict[str, Profile], attempt_delays_s: dict[str, float] | None = None,
                  seed: int = 0) -> tuple[dict, DayTiming]:
        """Plan `day` with each house's base load; returns the day's record and its timing."""
        self.usage.take()
        started = time.perf_counter()
        opened = await self.operator.submit("open_day", self.nb, day)
        attempts = 0
        consensus_s = 0.0
        coordinator = self.operator
        if self.config.coordination == POW:
            mined = time.perf_counter()
            rngs = {house.house_id: random.Random(f"{seed}/{day}/{house.house_id}") for house in self.houses}
            delays = attempt_delays_s or {}
            # every house starts its first attempt together: a head start would decide a race of microseconds
            await asyncio.gather(*(house.wait_open(day) for house in self.houses))
            results = await asyncio.gather(*(house.mine(day, bytes.fromhex(opened["seed"]),
                                                        self.config.pow_target_bits, delays.get(house.house_id, 0.0),
                                                        rngs[house.house_id]) for house in self.houses))
            attempts = sum(count for count, _ in results)
            winners = [house.ledger for house, (_, won) in zip(self.houses, results, strict=True) if won]
            if len(winners) != 1:
                raise RuntimeError(f"day {day}: {len(winners)} houses saw their proof of work commit, not one")
            coordinator = winners[0]
            consensus_s = time.perf_counter() - mined
        setup_started = time.perf_counter()
        if self.config.method == METHOD1:
            await self._within_window([house.send_base(day, bases[house.house_id]) for house in self.houses])
            setup_s = time.perf_counter() - setup_started
            iterating = time.perf_counter()
            await coordinator.submit("plan_day", self.nb, day, catch_up=True)
        else:
            await self._within_window([house.send_initial(day, bases[house.house_id]) for house in self.houses])
            await coordinator.submit("start_iterations", self.nb, day, catch_up=True)
            setup_s = time.perf_counter() - setup_started
            iterating = time.perf_counter()
            await self._iterate(day, coordinator)
        iterations_s = time.perf_counter() - iterating
        record = await self._planned(day)
        used = self.usage.take()
        return record, DayTiming(setup_s, consensus_s, iterations_s, time.perf_counter() - started,
                                 used.transactions, attempts)

    async def _reveal_at_once(self, day: int, offers: dict[str, int]) -> dict | None:
        """When every house offered, the best one reveals without a select (the contract checks that it is the
        best and that nobody is missing); None when a select must close the window or end the day."""
        if len(offers) < len(self.houses):
            return None
        best = best_offer(offers)
        record = await self.operator.evaluate("get_day", self.nb, day)
        if best is None or best[1] <= 0 or improvement_mw(squared_norm(record["aggregate"]), best[1]) < \
                self.config.steering.epsilon_mw:
            return None
        winner = next(house for house in self.houses if house.house_id == best[0])
        try:
            return await winner.reveal(day)
        except ChaincodeError:
            return None  # e.g. below epsilon: select ends the day

    async def _planned(self, day: int) -> dict:
        """The planned day as the operator's peer has it: a house coordinating under proof of work submits through
        its own organisation's peer, which may commit a block before the operator's does."""
        deadline = asyncio.get_running_loop().time() + self.window_s
        while True:
            record = await self.operator.evaluate("get_day", self.nb, day)
            if record["status"] == "planned" or asyncio.get_running_loop().time() > deadline:
                return record
            await asyncio.sleep(POLL_S)

    async def _iterate(self, day: int, coordinator: Ledger) -> None:
        """Method 2: offers, a selection, the chosen house's reveal (or, if it does not come, the next choice);
        again until the day is planned."""
        by_id = {house.house_id: house for house in self.houses}
        iteration = 0
        status = (await self.operator.evaluate("get_day", self.nb, day))["status"]
        while status != "planned":
            offered = await self._within_window([house.offer(day, iteration, self.window_s)
                                                 for house in self.houses])
            summary = await self._reveal_at_once(day, dict(entry for entry in offered if entry is not None))
            if summary is None:
                summary = await coordinator.submit("select", self.nb, day, catch_up=True)
            while summary["status"] == "chosen":
                revealed = await self._within_window([by_id[summary["chosen"]].reveal(day)])
                summary = revealed[0] if revealed else await coordinator.submit("select", self.nb, day,
                                                                                catch_up=True)
            status = summary["status"]
            iteration += 1
