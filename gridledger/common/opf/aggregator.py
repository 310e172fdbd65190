"""The ADMM aggregator step (the paper's smart contract S1, eqs. 16-19) as a function from one frozen state to the
next, in integers only, so every endorser and `opf verify` compute the same bytes.

Agents minimise f_i(x_i) + rho/2 ||x~_i - (z~_i - u_i)||^2 with the scaled duals u = xi / rho; the step then sets
z_g to the rounded mean of x + u over g's copies (Boyd's consensus update; the duals of one variable sum to zero
from the start, so this is the paper's plain average of the copies, but stays exact under rounding), adds
x~ - z~ to u, and stops on the squared residual norms. Integer sums do not depend on their order, so the result
cannot depend on which peer runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.opf.config import SCALE, AdmmConfig, to_fixed
from gridledger.common.opf.feeder import Feeder
from gridledger.common.opf.layout import Layout, V

MAX_MAGNITUDE = 1000 * SCALE  # no flow or voltage of a distribution feeder comes near 1000 pu


class CopyError(ValueError):
    """A submitted local copy that the aggregator refuses; nothing of it is used."""


@dataclass(frozen=True, slots=True)
class AdmmState:
    iteration: int  # iterations completed
    z: tuple[int, ...]
    duals: tuple[tuple[int, ...], ...]  # scaled duals u, per bus in copy order
    copies: tuple[tuple[int, ...] | None, ...]  # each bus's last copy, None before its first
    primal_sq: int = 0  # ||x~ - z~||^2 of the last step, fixed-point units squared
    dual_sq: int = 0  # ||z~^k - z~^(k-1)||^2 over all copies
    converged: bool = False
    missed: int = 0  # bus-iterations filled by the reuse rule so far

    def target(self, layout: Layout, bus: int) -> tuple[int, ...]:
        """z~_i - u_i: what the bus's agent pulls its copy towards in the next iteration."""
        return tuple(self.z[g] - u for g, u in zip(layout.indices(bus), self.duals[bus], strict=True))


def initial_state(feeder: Feeder, layout: Layout) -> AdmmState:
    """Flat start: flows zero, every squared voltage at the substation's."""
    v0 = to_fixed(feeder.v_root**2)
    z = tuple(v0 if kind == V else 0 for kind, _ in layout.names for _ in range(layout.steps))
    duals = tuple((0,) * layout.copy_length(bus) for bus in range(feeder.buses))
    return AdmmState(0, z, duals, (None,) * feeder.buses)


def check_copy(feeder: Feeder, layout: Layout, bus: int, values: object) -> tuple[int, ...]:
    """A bus's copy as the aggregator accepts it: a list of the layout's length of integers within the feeder's
    bounds (squared voltages within the bus limits, every entry within MAX_MAGNITUDE)."""
    if not isinstance(bus, int) or not 0 <= bus < feeder.buses:
        raise CopyError(f"bus {bus!r} is not a bus of feeder {feeder.name}")
    expected = layout.copy_length(bus)
    if not isinstance(values, list | tuple) or len(values) != expected:
        length = len(values) if isinstance(values, list | tuple) else type(values).__name__
        raise CopyError(f"bus {bus}'s copy must have {expected} entries, got {length}")
    for j, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, int):
            raise CopyError(f"bus {bus}'s copy entry {j} must be a fixed-point integer, got {value!r}")
        if abs(value) > MAX_MAGNITUDE:
            raise CopyError(f"bus {bus}'s copy entry {j} = {value} is beyond {MAX_MAGNITUDE}")
    for position, block in enumerate(layout.blocks[bus]):
        kind, at = layout.names[block]
        if kind != V:
            continue
        low, high = to_fixed(feeder.vmin[at] ** 2), to_fixed(feeder.vmax[at] ** 2)
        for t in range(layout.steps):
            value = values[position * layout.steps + t]
            if not low <= value <= high:
                raise CopyError(f"bus {bus}'s copy of v at bus {at}, step {t} = {value} is outside the voltage "
                                f"limits {low}..{high}")
    return tuple(values)


def _mean(total: int, count: int) -> int:
    """total / count rounded half up, in integers."""
    return (2 * total + count) // (2 * count)


def step(state: AdmmState, layout: Layout, config: AdmmConfig,
         submitted: dict[int, tuple[int, ...]]) -> tuple[AdmmState, tuple[int, ...]]:
    """One aggregator step from the copies received this iteration (already checked with check_copy). Returns the
    next state and the buses whose last copy was reused."""
    buses = len(state.duals)
    reused = tuple(bus for bus in range(buses) if bus not in submitted)
    copies = []
    for bus in range(buses):
        fallback = state.copies[bus] or tuple(state.z[g] for g in layout.indices(bus))
        copies.append(submitted.get(bus, fallback))
    totals = [0] * layout.size
    for bus in range(buses):
        for g, x, u in zip(layout.indices(bus), copies[bus], state.duals[bus], strict=True):
            totals[g] += x + u
    counts = layout.counts()
    z = tuple(_mean(total, count) for total, count in zip(totals, counts, strict=True))
    duals, primal_sq, dual_sq = [], 0, 0
    for bus in range(buses):
        bus_duals = []
        for g, x, u in zip(layout.indices(bus), copies[bus], state.duals[bus], strict=True):
            r = x - z[g]
            bus_duals.append(u + r)
            primal_sq += r * r
            dual_sq += (z[g] - state.z[g]) ** 2
        duals.append(tuple(bus_duals))
    converged = primal_sq <= config.primal_bound() and dual_sq <= config.dual_bound()
    return AdmmState(state.iteration + 1, z, tuple(duals), tuple(copies), primal_sq, dual_sq, converged,
                     state.missed + len(reused)), reused
