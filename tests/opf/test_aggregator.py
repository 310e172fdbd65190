"""The aggregator step (common/opf/aggregator.py) against a literal reading of the paper's eqs. 16-19 in exact
fractions, and check_copy's refusals of every kind of bad copy."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from gridledger.common.opf import SCALE, AdmmConfig, CopyError, Layout, check_copy, initial_state, step, to_fixed
from tests.opf.feeders import small_feeder

FEEDER = small_feeder()
LAYOUT = Layout.of(FEEDER, 3)
CONFIG = AdmmConfig("t", rho=100.0, eps_pri=1e-3, eps_dual=0.1)


def _random_copies(rng: random.Random, spread: int) -> dict[int, tuple[int, ...]]:
    copies = {}
    for bus in range(FEEDER.buses):
        values = []
        for block in LAYOUT.blocks[bus]:
            kind, _ = LAYOUT.names[block]
            base = SCALE if kind == "v" else 0
            values += [base + rng.randint(-spread, spread) for _ in range(LAYOUT.steps)]
        copies[bus] = tuple(values)
    return copies


def test_layout_counts_two_copies_per_flow_and_one_plus_children_per_voltage() -> None:
    counts = dict(zip(LAYOUT.names, LAYOUT.counts()[:: LAYOUT.steps], strict=True))
    assert counts[("P", 2)] == counts[("Q", 3)] == 2
    assert (counts[("v", 0)], counts[("v", 1)], counts[("v", 2)]) == (2, 3, 1)
    assert [LAYOUT.names[b] for b in LAYOUT.blocks[1]] == [("P", 1), ("Q", 1), ("v", 1), ("P", 2), ("Q", 2),
                                                           ("P", 3), ("Q", 3), ("v", 0)]


def test_step_is_the_papers_average_and_dual_update_in_exact_arithmetic() -> None:
    rng = random.Random(7)
    state = initial_state(FEEDER, LAYOUT)
    for _ in range(4):
        copies = _random_copies(rng, 10**6)
        new, reused = step(state, LAYOUT, CONFIG, copies)
        assert reused == ()
        # the literal reading: z_g = (1/k_g) sum of the copies of g (eq. 16), u += x - z (eq. 17)
        sums: dict[int, Fraction] = {}
        for bus, values in copies.items():
            for g, x in zip(LAYOUT.indices(bus), values, strict=True):
                sums[g] = sums.get(g, Fraction(0)) + x
        counts = LAYOUT.counts()
        for g in range(LAYOUT.size):
            # equal to the plain mean up to the rounding carried in the duals (each below one unit per copy)
            assert abs(new.z[g] - sums[g] / counts[g]) <= 1
        for bus, values in copies.items():
            expected = [u + x - new.z[g] for g, x, u in zip(LAYOUT.indices(bus), values, state.duals[bus],
                                                            strict=True)]
            assert list(new.duals[bus]) == expected
        primal = sum((x - new.z[g]) ** 2 for bus, values in copies.items()
                     for g, x in zip(LAYOUT.indices(bus), values, strict=True))
        assert new.primal_sq == primal and new.iteration == state.iteration + 1
        state = new


def test_a_run_of_agreeing_copies_converges_and_a_disagreeing_one_does_not() -> None:
    state = initial_state(FEEDER, LAYOUT)
    agreeing = {bus: state.target(LAYOUT, bus) for bus in range(FEEDER.buses)}
    done, _ = step(state, LAYOUT, CONFIG, agreeing)
    assert done.converged and done.primal_sq == done.dual_sq == 0
    apart = dict(agreeing)
    apart[2] = tuple(v + to_fixed(1e-3) for v in apart[2])  # bus 2 off by 1e-3 pu on each of 9 entries
    far, _ = step(state, LAYOUT, CONFIG, apart)
    assert not far.converged and far.primal_sq > CONFIG.primal_bound()


def test_a_silent_bus_reuses_its_last_copy_and_is_counted() -> None:
    rng = random.Random(3)
    first, _ = step(initial_state(FEEDER, LAYOUT), LAYOUT, CONFIG, _random_copies(rng, 1000))
    copies = _random_copies(rng, 1000)
    del copies[3]
    second, reused = step(first, LAYOUT, CONFIG, copies)
    assert reused == (3,) and second.missed == 1 and second.copies[3] == first.copies[3]
    with_last = step(first, LAYOUT, CONFIG, {**copies, 3: first.copies[3]})[0]
    assert with_last.z == second.z and with_last.duals == second.duals


def test_the_first_iteration_of_a_silent_bus_uses_the_copy_of_z() -> None:
    state = initial_state(FEEDER, LAYOUT)
    _, reused = step(state, LAYOUT, CONFIG, {})
    assert reused == (0, 1, 2, 3)
    assert step(state, LAYOUT, CONFIG, {})[0].converged


ONE_STEP = Layout.of(FEEDER, 1)  # bus 2's copy: P2, Q2, v2, v1; bus 1's: P1, Q1, v1, P2, Q2, P3, Q3, v0
GOOD = [5, -5, SCALE, SCALE]


@pytest.mark.parametrize(("bus", "values", "message"), [
    (4, GOOD, "bus 4 is not a bus of feeder y4"),
    (2, GOOD[:3], "bus 2's copy must have 4 entries, got 3"),
    (2, "1234", "bus 2's copy must have 4 entries, got str"),
    (2, [0, math.nan, SCALE, SCALE], "bus 2's copy entry 1 must be a fixed-point integer, got nan"),
    (2, [math.inf, 0, SCALE, SCALE], "bus 2's copy entry 0 must be a fixed-point integer, got inf"),
    (2, [0.5, 0, SCALE, SCALE], "bus 2's copy entry 0 must be a fixed-point integer, got 0.5"),
    (2, [True, 0, SCALE, SCALE], "bus 2's copy entry 0 must be a fixed-point integer, got True"),
    (2, [10**13, 0, SCALE, SCALE], "bus 2's copy entry 0 = 10000000000000 is beyond"),
    (2, [0, 0, 2 * SCALE, SCALE], "bus 2's copy of v at bus 2, step 0 = 2000000000 is outside"),
    (1, [0, 0, SCALE, 0, 0, 0, 0, SCALE + 1], "bus 1's copy of v at bus 0, step 0 = 1000000001 is outside"),
])
def test_bad_copies_are_refused_with_a_precise_error(bus: int, values: object, message: str) -> None:
    with pytest.raises(CopyError, match=message):
        check_copy(FEEDER, ONE_STEP, bus, values)


def test_a_good_copy_passes() -> None:
    assert check_copy(FEEDER, ONE_STEP, 2, GOOD) == tuple(GOOD)
