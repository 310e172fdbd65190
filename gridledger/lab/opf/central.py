"""The centralised reference: the whole day on the whole feeder as one CVXPY problem (10), the optimum the ADMM
run is measured against, and the nodal prices (duals of the real-power balances) billing settles at."""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.opf import Layout, Scenario
from gridledger.lab.opf.model import build_bus, copy_names
from gridledger.lab.opf.solvers import require

SOLVER = "CLARABEL"


class SolveError(RuntimeError):
    """The solver found no optimum (infeasible scenario, or numerical failure)."""


@dataclass(frozen=True)
class Solution:
    cost: float
    generation: list[float]  # substation, pu per step
    withdrawal: list[list[float]]  # [bus][step], pu
    v: list[list[float]]  # squared voltage, [bus][step]
    prices: list[list[float]]  # money per MWh, [bus][step]
    flows: dict[tuple[str, int], list[float]]  # every global variable


def solve_central(scenario: Scenario) -> Solution:
    cp = require("cvxpy")
    layout = Layout.of(scenario.feeder, scenario.steps)
    variables = {name: cp.Variable(scenario.steps, name=f"{name[0]}{name[1]}") for name in layout.names}
    models = [build_bus(scenario, bus, {n: variables[n] for n in copy_names(layout, bus)})
              for bus in range(scenario.feeder.buses)]
    problem = cp.Problem(cp.Minimize(sum(m.cost for m in models)), [c for m in models for c in m.constraints])
    problem.solve(solver=SOLVER)
    if problem.status != cp.OPTIMAL:
        raise SolveError(f"centralised OPF: {problem.status}")
    per_mwh = scenario.dt_hours * scenario.feeder.base_mva
    sign = 1.0 if float(models[0].balance.dual_value[0]) >= 0 else -1.0  # cvxpy's sign convention for ==
    return Solution(
        float(problem.value),
        [float(g) for g in models[0].generation.value],
        [[float(w) for w in m.withdrawal.value] for m in models],
        [[float(v) for v in variables[("v", bus)].value] for bus in range(scenario.feeder.buses)],
        [[sign * float(d) / per_mwh for d in m.balance.dual_value] for m in models],
        {name: [float(value) for value in var.value] for name, var in variables.items()})
