"""The battery planner: the integer battery plan that brings one house's load closest to a target profile.

Minimise ||base + b - target||_2 over integer watts b, with min_power <= b_t <= max_power, the charge inside
0..capacity after every slot, and the day ending at the initial charge. Written as r = target - base, this is the
projection of r onto the plans the battery allows, a separable convex problem solved exactly in integers by two
steps:

- `_fill`: with only the energy total fixed, the optimum is b_t = clip(r_t + c) for one offset c (water-filling);
  the largest integer offset that does not overshoot, plus one watt on the first slots that can still take one,
  is the exact integer optimum (every such watt costs the same, 2c + 1).
- `_plan_segment`: when the filled plan breaks a charge bound, the slot boundary where it breaks it most is pinned
  to that bound and the two sides are planned on their own. The point of largest violation lies on the optimal
  charge curve (the curve is the taut string through the charge corridor, and a maximal violator of a chord is a
  vertex of that string), so each pin is one the optimum keeps.

Pure integer arithmetic with a fixed order and a lowest-slot tie-break: every endorser gets the same bytes.
tests/dsm/test_planner.py checks the optimum against an exact QP solver and every bound on random inputs.
"""

from __future__ import annotations

from collections.abc import Sequence

from gridledger.common.dsm.battery import SLOTS_PER_DAY, Battery, BatteryError


def plan_battery(battery: Battery, base: Sequence[int], target: Sequence[int]) -> tuple[int, ...]:
    """The battery plan (W per slot, positive charging) minimising ||base + plan - target||_2."""
    if len(base) != SLOTS_PER_DAY or len(target) != SLOTS_PER_DAY:
        raise BatteryError(f"base and target have {SLOTS_PER_DAY} slots, got {len(base)} and {len(target)}")
    wanted = [t - b for b, t in zip(base, target, strict=True)]
    plan = [0] * SLOTS_PER_DAY
    _plan_segment(battery, wanted, plan, 0, SLOTS_PER_DAY, 0, 0)
    return tuple(plan)


def _plan_segment(battery: Battery, wanted: list[int], plan: list[int], start: int, end: int,
                  level_in: int, level_out: int) -> None:
    """Fill plan[start:end] so that the charge goes from level_in to level_out (slot-watts above the initial
    charge), inside the corridor at every boundary between."""
    lo, hi = battery.min_power_w, battery.max_power_w
    floor, ceiling = -battery.room_below, battery.room_above
    segments = [(start, end, level_in, level_out)]
    while segments:
        first, last, enter, leave = segments.pop()
        _fill(wanted, plan, first, last, lo, hi, leave - enter)
        worst, pin_at, pin_level = 0, -1, 0
        level = enter
        for slot in range(first, last - 1):
            level += plan[slot]
            if level - ceiling > worst:
                worst, pin_at, pin_level = level - ceiling, slot + 1, ceiling
            elif floor - level > worst:
                worst, pin_at, pin_level = floor - level, slot + 1, floor
        if pin_at >= 0:
            segments.append((pin_at, last, pin_level, leave))
            segments.append((first, pin_at, enter, pin_level))


def _fill(wanted: list[int], plan: list[int], first: int, last: int, lo: int, hi: int, total: int) -> None:
    """plan[first:last] = the integer b closest to wanted with lo <= b_t <= hi and sum(b) == total."""
    count = last - first
    if not count * lo <= total <= count * hi:
        raise BatteryError(f"no plan moves {total} slot-watts in {count} slots within {lo}..{hi} W")
    span = wanted[first:last]
    offset = _offset(span, lo, hi, total)
    missing = total
    for index, w in enumerate(span):
        value = min(hi, max(lo, w + offset))
        plan[first + index] = value
        missing -= value
    for index, w in enumerate(span):
        if missing == 0:
            break
        if lo <= w + offset < hi:  # raising the offset by one raises this slot by one, at the same cost as any other
            plan[first + index] += 1
            missing -= 1


def _offset(span: list[int], lo: int, hi: int, total: int) -> int:
    """The largest integer c with sum(clip(w + c, lo, hi)) <= total (or one with equality where the sum is flat).

    The sum is piecewise linear in c: slot w rises with slope 1 between c = lo - w and c = hi - w. One sweep over
    the sorted breakpoints finds the piece that crosses `total` and solves it exactly.
    """
    events = sorted([(lo - w, 1) for w in span] + [(hi - w, -1) for w in span])
    position, value, slope = events[0][0], len(span) * lo, 0
    for at, change in events:
        reached = value + slope * (at - position)
        if reached > total:
            return position + (total - value) // slope
        position, value, slope = at, reached, slope + change
    return position
