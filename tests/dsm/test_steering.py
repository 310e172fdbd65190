"""Profile Steering: the integer iteration against a literal float transcription of the pseudo-code
(shared/domain/dsm.md), and the properties the method relies on."""

from __future__ import annotations

import math

import pytest

from gridledger.common.dsm.battery import SLOTS_PER_DAY, check_plan
from gridledger.common.dsm.planner import plan_battery
from gridledger.common.dsm.steering import (
    SteeringConfig,
    aggregate_of,
    candidate,
    improvement_mw,
    squared_norm,
    start,
    steer,
    step,
    subtract,
)
from tests.dsm.neighbourhood import houses


def literal_profile_steering(day: list, epsilon_w: float, max_iterations: int) -> list[tuple[int, ...]]:
    """The thesis' loop line by line, with float norms: the slow oracle."""
    x = [tuple(b + p for b, p in zip(h.base, plan_battery(h.battery, h.base, [0] * 96), strict=True)) for h in day]
    for _ in range(max_iterations):
        total = [sum(column) for column in zip(*x, strict=True)]
        d = total  # desired profile p = 0
        best, best_e, best_plan = None, -math.inf, None
        for m, house in enumerate(day):
            p_m = [a - b for a, b in zip(x[m], d, strict=True)]
            xh = tuple(b + p for b, p in zip(house.base, plan_battery(house.battery, house.base, p_m), strict=True))
            e = math.dist(x[m], p_m) - math.dist(xh, p_m)
            if e > best_e:
                best, best_e, best_plan = m, e, xh
        if best_e < epsilon_w:
            break
        x[best] = best_plan
    return x


@pytest.mark.parametrize("scenario", ["scenario1", "scenario2"])
def test_the_integer_iteration_makes_the_same_plans_as_the_literal_loop(scenario: str) -> None:
    day = houses(8, seed=3, scenario=scenario)
    state = steer(day, SteeringConfig(epsilon_mw=100, max_iterations=30))
    assert list(state.profiles) == literal_profile_steering(day, 0.1, 30)
    assert state.iteration > 3


def test_each_accepted_move_lowers_the_distance_by_its_gain_and_keeps_the_battery_feasible() -> None:
    day = houses(6)
    config = SteeringConfig(epsilon_mw=1, max_iterations=50)
    state = start(day)
    while not state.done:
        before = squared_norm(state.aggregate)
        following = step(state, day, config)
        if following.iteration > state.iteration:
            winner = following.winners[-1]
            gain = candidate(winner, day[winner], state.profiles[winner], state.aggregate).gain
            assert squared_norm(following.aggregate) == before - gain > 0
            assert following.improvements_mw[-1] == improvement_mw(before, gain) >= config.epsilon_mw
        state = following
    assert state.aggregate == aggregate_of(state.profiles)
    for house, profile in zip(day, state.profiles, strict=True):
        check_plan(house.battery, subtract(profile, house.base))


def test_the_iteration_stops_at_the_cap_or_when_no_house_improves_by_epsilon() -> None:
    day = houses(5)
    capped = steer(day, SteeringConfig(epsilon_mw=0, max_iterations=3))
    assert capped.done and capped.iteration == 3
    loose = steer(day, SteeringConfig(epsilon_mw=10**9, max_iterations=100))
    assert loose.done and loose.iteration == 0 and loose.profiles == start(day).profiles
    none = steer(day, SteeringConfig(epsilon_mw=1, max_iterations=0))
    assert none.done and none.iteration == 0


def test_steering_lowers_the_peak_and_the_two_norm_of_the_neighbourhood() -> None:
    day = houses(25, scenario="scenario1")
    base = aggregate_of([house.base for house in day])
    initial = start(day)
    final = steer(day, SteeringConfig())
    assert squared_norm(final.aggregate) < squared_norm(initial.aggregate) < squared_norm(base)
    assert max(final.aggregate) < max(base)
    assert len(final.profiles) == 25 and all(len(p) == SLOTS_PER_DAY for p in final.profiles)


def test_ties_go_to_the_lowest_house_index() -> None:
    twin = houses(1)[0]
    day = [twin, twin, twin]
    state = step(start(day), day, SteeringConfig())
    assert state.winners == (0,)
