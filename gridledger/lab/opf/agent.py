"""A device agent's local problem (15): its bus's model plus the ADMM penalty, compiled once with the target
z~ - u as a CVXPY parameter, so each iteration only re-solves. Agents run these; the chaincode never does."""

from __future__ import annotations

from gridledger.common.opf import Layout, Scenario, from_fixed, to_fixed
from gridledger.common.opf.layout import V
from gridledger.lab.opf.central import SOLVER, SolveError
from gridledger.lab.opf.model import build_bus, copy_names
from gridledger.lab.opf.solvers import require


class LocalSolver:
    def __init__(self, scenario: Scenario, layout: Layout, bus: int, rho: float) -> None:
        cp = require("cvxpy")
        self.bus, self.steps = bus, scenario.steps
        names = copy_names(layout, bus)
        coupling = {name: cp.Variable(scenario.steps, name=f"{name[0]}{name[1]}") for name in names}
        self.model = build_bus(scenario, bus, coupling)
        self.target = cp.Parameter(layout.copy_length(bus), name="target")
        self.copy = cp.hstack([coupling[name] for name in names])
        objective = self.model.cost + rho / 2 * cp.sum_squares(self.copy - self.target)
        self.problem = cp.Problem(cp.Minimize(objective), self.model.constraints)
        # the solver meets the voltage limits to its tolerance; the copy is clamped onto them exactly
        feeder = scenario.feeder
        self.bounds = [(to_fixed(feeder.vmin[at] ** 2), to_fixed(feeder.vmax[at] ** 2)) if kind == V else None
                       for kind, at in names]

    def solve(self, target: tuple[int, ...]) -> tuple[int, ...]:
        """The bus's next copy, fixed point, from the aggregator's z~ - u."""
        self.target.value = [from_fixed(v) for v in target]
        self.problem.solve(solver=SOLVER)
        if self.problem.status not in ("optimal", "optimal_inaccurate"):
            raise SolveError(f"bus {self.bus}'s local problem: {self.problem.status}")
        values = [to_fixed(float(v)) for v in self.copy.value]
        for block, bound in enumerate(self.bounds):
            if bound:
                for j in range(block * self.steps, (block + 1) * self.steps):
                    values[j] = min(max(values[j], bound[0]), bound[1])
        return tuple(values)

    def withdrawal(self) -> list[float]:
        """The bus's net real withdrawal (load and devices) at its last solve, pu per step: its schedule."""
        return [float(w) for w in self.model.withdrawal.value]

    def cost(self) -> float:
        """The bus's own cost at its last solve (the generator's, at the substation; zero elsewhere)."""
        return float(self.model.cost.value)
