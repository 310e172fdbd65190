"""`gridledger dsm verify NB DAY`: recompute a planned day from what the ledger holds.

Method 1: the ledger has every base load and battery, so Profile Steering runs again here and every plan, the
aggregate, the winners and their improvements must match the record exactly. Method 2: base loads never reached
the ledger, so the check is what the record can prove: the aggregate is the sum of the plans, one winner per
iteration, every improvement at least epsilon, and the improvements telescope to the drop of the aggregate's norm
from the initial planning (each is a difference of the same fixed-point square roots).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import isqrt
from typing import Any

from gridledger.common.dsm.battery import Battery
from gridledger.common.dsm.config import METHOD1, DsmConfig
from gridledger.common.dsm.steering import MILLI, House, aggregate_of, squared_norm, steer


@dataclass
class DayCheck:
    day: int
    method: str
    houses: int
    iterations: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def root_mw(distance_sq: int) -> int:
    return isqrt(distance_sq * MILLI * MILLI)


async def verify_day(reader: Any, nb: str, day: int) -> DayCheck:
    """`reader.evaluate(function, *args)` answers decoded JSON (gridledger.lab.dsm.ledger.Ledger)."""
    config = DsmConfig.from_json((await reader.evaluate("get_neighbourhood", nb))["config"])
    record = await reader.evaluate("get_day", nb, day)
    planners = record["planners"]
    check = DayCheck(day, config.method, len(planners), record["iteration"])
    if record["status"] != "planned":
        check.problems.append(f"day {day} is {record['status']}, not planned yet")
        return check
    plans = [tuple(await reader.evaluate("get_plan", nb, day, house)) for house in planners]
    if tuple(record["aggregate"]) != aggregate_of(plans):
        check.problems.append("the recorded aggregate is not the sum of the recorded plans")
    if len(record["winners"]) != record["iteration"] or len(record["improvements_mw"]) != record["iteration"]:
        check.problems.append("the record does not hold one winner and one improvement per iteration")
    if any(gain < config.steering.epsilon_mw for gain in record["improvements_mw"]):
        check.problems.append(f"an accepted improvement is below epsilon ({config.steering.epsilon_mw} mW)")
    drop = root_mw(squared_norm(record["initial_aggregate"])) - root_mw(squared_norm(record["aggregate"]))
    if sum(record["improvements_mw"]) != drop:
        check.problems.append(f"the improvements sum to {sum(record['improvements_mw'])} mW but the norm fell by "
                              f"{drop} mW")
    if config.method == METHOD1:
        homes = [House(house, tuple(await reader.evaluate("get_base", nb, day, house)),
                       Battery.from_json(await reader.evaluate("get_house", nb, house))) for house in planners]
        again = steer(homes, config.steering)
        if list(again.profiles) != plans:
            changed = [house for house, mine, theirs in zip(planners, again.profiles, plans, strict=True)
                       if mine != theirs]
            check.problems.append(f"recomputed plans differ for {', '.join(changed)}")
        if [planners[i] for i in again.winners] != record["winners"] or \
                list(again.improvements_mw) != record["improvements_mw"]:
            check.problems.append("recomputed winners or improvements differ from the record")
    return check
