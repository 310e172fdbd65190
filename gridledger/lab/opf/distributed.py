"""The ADMM run in one process: every bus's LocalSolver, then the pure aggregator step, until it converges. The
chaincode runs the same step on the ledger; this run is the off-chain twin the on-chain one is checked against."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gridledger.common.opf import SCALE, AdmmConfig, AdmmState, Layout, Scenario, check_copy, initial_state, step
from gridledger.lab.opf.agent import LocalSolver


@dataclass
class Iteration:
    number: int
    primal: float  # ||r||, pu
    dual: float  # rho ||z~^k - z~^(k-1)||, pu
    cost: float  # the substation generator's cost in its last local solve
    solve_seconds: float
    aggregate_seconds: float


@dataclass
class Run:
    state: AdmmState
    cost: float
    iterations: list[Iteration] = field(default_factory=list)
    withdrawal: list[list[float]] = field(default_factory=list)  # [bus][step], the agents' final schedules, pu


def solvers_for(scenario: Scenario, config: AdmmConfig) -> list[LocalSolver]:
    layout = Layout.of(scenario.feeder, scenario.steps)
    return [LocalSolver(scenario, layout, bus, config.rho) for bus in range(scenario.feeder.buses)]


def run_admm(scenario: Scenario, config: AdmmConfig, solvers: list[LocalSolver] | None = None,
             progress: Callable[[Iteration], None] | None = None) -> Run:
    """Iterate until converged or config.max_iterations; `progress` sees each iteration as it ends."""
    layout = Layout.of(scenario.feeder, scenario.steps)
    solvers = solvers or solvers_for(scenario, config)
    state = initial_state(scenario.feeder, layout)
    run = Run(state, 0.0)
    while not state.converged and state.iteration < config.max_iterations:
        started = time.perf_counter()
        copies = {s.bus: check_copy(scenario.feeder, layout, s.bus, s.solve(state.target(layout, s.bus)))
                  for s in solvers}
        solved = time.perf_counter()
        state, _ = step(state, layout, config, copies)
        run.iterations.append(Iteration(state.iteration, state.primal_sq**0.5 / SCALE,
                                        config.rho * state.dual_sq**0.5 / SCALE, solvers[0].cost(),
                                        solved - started, time.perf_counter() - solved))
        if progress:
            progress(run.iterations[-1])
    run.state, run.cost = state, solvers[0].cost()
    run.withdrawal = [s.withdrawal() for s in solvers]
    return run
