"""The battery planner against an exact QP solver (CVXPY with Clarabel) and against every bound on random input."""

from __future__ import annotations

import math
import random

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridledger.common.dsm.battery import PRESETS, SLOTS_PER_DAY, Battery, BatteryError, check_plan
from gridledger.common.dsm.planner import plan_battery


def exact_distance(battery: Battery, base: list[int], target: list[int]) -> float:
    """The optimum of the continuous QP: the bound the integer planner must come within 0.1% of."""
    plan = cp.Variable(SLOTS_PER_DAY)
    charge = cp.cumsum(plan)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(np.array(base) + plan - np.array(target))),
                         [plan >= battery.min_power_w, plan <= battery.max_power_w,
                          charge >= -battery.room_below, charge <= battery.room_above, cp.sum(plan) == 0])
    problem.solve(solver=cp.CLARABEL)
    return math.sqrt(max(problem.value, 0.0))


def distance(base: list[int], plan: tuple[int, ...], target: list[int]) -> float:
    return math.sqrt(sum((b + p - t) ** 2 for b, p, t in zip(base, plan, target, strict=True)))


def evening_peak(rng: random.Random, height: int) -> list[int]:
    """A household day: a night baseline, solar noon export, an evening peak (what batteries are for)."""
    return [rng.randint(150, 600) - (rng.randint(0, height) if 40 <= slot < 64 else 0)
            + (height + rng.randint(0, 800) if 68 <= slot < 88 else 0) for slot in range(SLOTS_PER_DAY)]


CASES = [(name, seed, height, flat) for seed, name in enumerate(PRESETS) for height in (1500, 6000)
         for flat in (True, False)]


@pytest.mark.parametrize(("name", "seed", "height", "flat"), CASES)
def test_the_plan_is_within_a_thousandth_of_the_exact_optimum(name: str, seed: int, height: int,
                                                              flat: bool) -> None:
    rng = random.Random(seed * 31 + height)
    battery = PRESETS[name]
    base = evening_peak(rng, height)
    target = [0] * SLOTS_PER_DAY if flat else [rng.randint(-3000, 3000) for _ in range(SLOTS_PER_DAY)]
    plan = plan_battery(battery, base, target)
    check_plan(battery, plan)
    optimum = exact_distance(battery, base, target)
    assert distance(base, plan, target) <= optimum * 1.001 + 1e-6


def test_a_small_battery_on_a_large_peak_is_pinned_at_both_bounds() -> None:
    """The case the pinning exists for: the charge must touch full and empty, and still be optimal."""
    battery = PRESETS["b-box-pro-5"]
    base = [-4000] * 24 + [300] * 24 + [-4000] * 16 + [5000] * 16 + [300] * 16
    plan = plan_battery(battery, base, [0] * SLOTS_PER_DAY)
    check_plan(battery, plan)
    levels = [sum(plan[:slot + 1]) for slot in range(SLOTS_PER_DAY)]
    assert max(levels) == battery.room_above and min(levels) == -battery.room_below
    assert distance(base, plan, [0] * 96) <= exact_distance(battery, base, [0] * 96) * 1.001


batteries = st.builds(
    lambda capacity, low, high, share: Battery(capacity, -low, high, capacity * share // 100),
    st.integers(1, 30_000), st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 100))
profiles = st.lists(st.integers(-20_000, 20_000), min_size=SLOTS_PER_DAY, max_size=SLOTS_PER_DAY)


@settings(max_examples=100, deadline=None)
@given(batteries, profiles, profiles)
def test_every_plan_keeps_every_bound_and_ends_where_it_started(battery: Battery, base: list[int],
                                                               target: list[int]) -> None:
    plan = plan_battery(battery, base, target)
    check_plan(battery, plan)  # raises on any broken bound
    assert distance(base, plan, target) <= distance(base, (0,) * SLOTS_PER_DAY, target)  # never worse than idle


@settings(max_examples=50, deadline=None)
@given(batteries, profiles)
def test_a_target_shifted_by_a_constant_gives_the_same_plan(battery: Battery, base: list[int]) -> None:
    """Energy-neutral days make every flat level equivalent: the reason the desired profile can be zero."""
    assert plan_battery(battery, base, [0] * 96) == plan_battery(battery, base, [1234] * 96)


def test_bad_batteries_and_plans_are_refused_with_the_broken_rule() -> None:
    with pytest.raises(BatteryError, match=r"initial_wh must be in 0\.\.capacity_wh"):
        Battery(1000, -10, 10, 2000)
    with pytest.raises(BatteryError, match="min_power_w <= 0"):
        Battery(1000, 10, 20, 500)
    with pytest.raises(BatteryError, match="exactly"):
        Battery.from_json({"capacity_wh": 1})
    battery = PRESETS["tesla-powerwall-2"]
    with pytest.raises(BatteryError, match="slot 0: 6000 W is outside"):
        check_plan(battery, (6000, -6000) + (0,) * 94)
    with pytest.raises(BatteryError, match="end at the initial charge"):
        check_plan(battery, (100,) + (0,) * 95)
    with pytest.raises(BatteryError, match="charge would reach"):
        check_plan(battery, (5000,) * 6 + (-5000,) * 6 + (0,) * 84)
    with pytest.raises(BatteryError, match="96 slots"):
        plan_battery(battery, [0] * 95, [0] * 96)
