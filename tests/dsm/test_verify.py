"""`dsm verify`: a planned day passes under both methods, and a plan changed behind the contract's back fails."""

from __future__ import annotations

import asyncio
import json

import pytest

from gridledger.chaincode.dsm import keys
from gridledger.lab.dsm.verify import verify_day
from tests.dsm.inprocess import dsm_world, neighbourhood
from tests.dsm.neighbourhood import houses

HOMES = houses(5, seed=4)


@pytest.mark.parametrize("method", ["method1", "method2"])
def test_a_planned_day_verifies_and_a_tampered_plan_does_not(method: str) -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, method=method))
    asyncio.run(hood.coordinator.run(0, {home.house_id: home.base for home in HOMES}))
    check = asyncio.run(verify_day(hood.coordinator.operator, "nb", 0))
    assert check.ok, check.problems
    assert check.iterations > 0 and check.houses == 5
    key = keys.profile("nb", 0, HOMES[1].house_id)
    plan = json.loads(world.state["dsm"][key])
    plan[10], plan[11] = plan[10] + 50, plan[11] - 50  # energy-neutral, so only the sums can tell
    world.state["dsm"][key] = json.dumps(plan).encode()
    tampered = asyncio.run(verify_day(hood.coordinator.operator, "nb", 0))
    assert "the recorded aggregate is not the sum of the recorded plans" in tampered.problems
    if method == "method1":
        assert any(HOMES[1].house_id in problem for problem in tampered.problems)


def test_a_day_not_planned_yet_is_reported_as_such() -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES))
    asyncio.run(hood.coordinator.operator.submit("open_day", "nb", 3))
    check = asyncio.run(verify_day(hood.coordinator.operator, "nb", 3))
    assert check.problems == ["day 3 is open, not planned yet"]
