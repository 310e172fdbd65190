"""Profile Steering (Gerards et al., as run by Pappu; shared/domain/dsm.md), one iteration a pure function.

The neighbourhood wants a flat profile. Because every battery ends the day where it started, every flat level has
the same optimum, so the desired profile is zero and the distance to it is the aggregate's own 2-norm. Each
iteration every house plans a candidate against its steering signal p_m = x_m - (x - p); only the house whose
candidate brings the aggregate closest moves. A candidate's `gain` is the exact drop of the squared distance
(integers); the house with the largest gain wins (lowest index on a tie), which is the argmax of the thesis'
improvement e_m = ||x - p|| - ||x' - p||. e_m itself is reported in milliwatts (integer square roots), and the
iteration stops when the best e_m is below epsilon or the cap is reached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import isqrt

from gridledger.common.dsm.battery import SLOTS_PER_DAY, Battery
from gridledger.common.dsm.planner import plan_battery

Profile = tuple[int, ...]
MILLI = 1000


@dataclass(frozen=True, slots=True)
class House:
    """One house of a planning day: its base load (W per slot, consumption positive) and its battery."""

    house_id: str
    base: Profile
    battery: Battery


@dataclass(frozen=True, slots=True)
class SteeringConfig:
    """epsilon: the smallest improvement worth an iteration (mW of the aggregate's 2-norm); a cap on iterations."""

    epsilon_mw: int = 1
    max_iterations: int = 100


@dataclass(frozen=True, slots=True)
class Candidate:
    house: int  # index into the day's houses, in house-id order
    profile: Profile
    gain: int  # ||x - p||^2 - ||x' - p||^2 if this candidate is accepted

    def improvement_mw(self, aggregate: Profile) -> int:
        return improvement_mw(squared_norm(aggregate), self.gain)


@dataclass(frozen=True, slots=True)
class SteeringState:
    """After `iteration` accepted moves: every house's profile, their sum, who moved, and whether PS stopped."""

    profiles: tuple[Profile, ...]
    aggregate: Profile
    iteration: int
    winners: tuple[int, ...]
    improvements_mw: tuple[int, ...]
    done: bool = False


def squared_norm(profile: Sequence[int]) -> int:
    return sum(value * value for value in profile)


def improvement_mw(distance_sq: int, gain: int) -> int:
    """||d|| - sqrt(||d||^2 - gain), in milliwatts rounded down on both roots (exact integers everywhere)."""
    return isqrt(distance_sq * MILLI * MILLI) - isqrt((distance_sq - gain) * MILLI * MILLI)


def add(first: Sequence[int], second: Sequence[int]) -> Profile:
    return tuple(a + b for a, b in zip(first, second, strict=True))


def subtract(first: Sequence[int], second: Sequence[int]) -> Profile:
    return tuple(a - b for a, b in zip(first, second, strict=True))


def aggregate_of(profiles: Sequence[Profile]) -> Profile:
    total = [0] * SLOTS_PER_DAY
    for profile in profiles:
        for slot, value in enumerate(profile):
            total[slot] += value
    return tuple(total)


def initial_profile(house: House) -> Profile:
    """Step 1: the house alone, flattening its own load (the desired profile shared out is flat too)."""
    return add(house.base, plan_battery(house.battery, house.base, (0,) * SLOTS_PER_DAY))


def start(houses: Sequence[House]) -> SteeringState:
    profiles = tuple(initial_profile(house) for house in houses)
    return SteeringState(profiles, aggregate_of(profiles), 0, (), ())


def candidate(index: int, house: House, profile: Profile, aggregate: Profile) -> Candidate:
    """Steps 4-7 for one house: plan against p_m = x_m - (x - p) and say how much that would gain."""
    signal = subtract(profile, aggregate)
    planned = add(house.base, plan_battery(house.battery, house.base, signal))
    return Candidate(index, planned, gain_of(aggregate, profile, planned))


def gain_of(aggregate: Profile, profile: Profile, planned: Profile) -> int:
    """The drop of ||x - p||^2 when a house's profile goes from `profile` to `planned` (p = 0)."""
    after = squared_norm(subtract(add(aggregate, planned), profile))
    return squared_norm(aggregate) - after


def choose(candidates: Sequence[Candidate]) -> Candidate | None:
    """Step 8: the largest gain, lowest house index on a tie; None when there is no candidate."""
    best = None
    for found in candidates:
        if best is None or found.gain > best.gain or (found.gain == best.gain and found.house < best.house):
            best = found
    return best


def best_offer(offers: dict[str, int], excluded: Sequence[str] = ()) -> tuple[str, int] | None:
    """Method 2's step 8 over offers (house id -> claimed gain): the largest gain, lowest house id on a tie, among
    houses not excluded; None when no offer is left. Ids sort as the central run's indices do (houses in id order)."""
    eligible = [(house, gain) for house, gain in offers.items() if house not in excluded]
    return min(eligible, key=lambda entry: (-entry[1], entry[0]), default=None)


def accept(state: SteeringState, chosen: Candidate | None, config: SteeringConfig) -> SteeringState:
    """Steps 9-10: move the chosen house, or stop when its improvement is below epsilon (or nothing came)."""
    if state.done:
        return state
    improvement = -1 if chosen is None or chosen.gain <= 0 else chosen.improvement_mw(state.aggregate)
    if improvement < config.epsilon_mw:
        return SteeringState(state.profiles, state.aggregate, state.iteration, state.winners,
                             state.improvements_mw, done=True)
    assert chosen is not None
    before = state.profiles[chosen.house]
    profiles = (*state.profiles[:chosen.house], chosen.profile, *state.profiles[chosen.house + 1:])
    aggregate = add(subtract(state.aggregate, before), chosen.profile)
    iteration = state.iteration + 1
    return SteeringState(profiles, aggregate, iteration, (*state.winners, chosen.house),
                         (*state.improvements_mw, improvement), done=iteration >= config.max_iterations)


def step(state: SteeringState, houses: Sequence[House], config: SteeringConfig) -> SteeringState:
    """One iteration with every house planning (the central and method-1 way)."""
    candidates = [candidate(index, house, state.profiles[index], state.aggregate)
                  for index, house in enumerate(houses)]
    return accept(state, choose(candidates), config)


def iterate(state: SteeringState, houses: Sequence[House], config: SteeringConfig) -> SteeringState:
    """Iterations from `state` until Profile Steering stops."""
    if config.max_iterations == 0:
        return accept(state, None, config)
    while not state.done:
        state = step(state, houses, config)
    return state


def steer(houses: Sequence[House], config: SteeringConfig) -> SteeringState:
    """The whole Profile Steering of a day: initial planning, then iterations until it stops."""
    return iterate(start(houses), houses, config)
