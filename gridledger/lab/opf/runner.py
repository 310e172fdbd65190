"""Run one OPF spec: build the day's scenario, solve it centrally, run ADMM with one CVXPY agent per bus and the
integer aggregator step, and write spec.json, summary.json, iterations.csv and buses.csv into a run folder.

The aggregator step here is common/opf.step, the function the aggregator chaincode runs on the ledger; this runner
calls it in-process, so its seconds are the agents' solves plus the step, without the ledger's round trips.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from pathlib import Path

from gridledger.common.opf import AdmmConfig, Generator, Penetration, Scenario, from_fixed, place_devices
from gridledger.common.opf.layout import Layout, V
from gridledger.lab.opf.central import Solution, solve_central
from gridledger.lab.opf.distributed import Iteration, Run, run_admm
from gridledger.lab.opf.feeders import case33bw, simbench_lv
from gridledger.lab.opf.profiles import day_shapes
from gridledger.lab.opf.spec import OpfSpec

FEEDERS = {"case33bw": case33bw, "simbench-lv": simbench_lv}  # spec.feeder: the reader in lab/opf/feeders.py


def scenario_of(spec: OpfSpec) -> Scenario:
    feeder = FEEDERS[spec.feeder]()
    g = spec.generator
    generator = Generator(g.a, g.b, g.c, 0.0, g.pmax_mw / feeder.base_mva)
    load, pv = day_shapes(spec.day, spec.steps)
    return place_devices(feeder, generator, load, pv, Penetration(**spec.penetration.model_dump()), spec.seed)


def run_opf(spec: OpfSpec, out: Path, progress: Callable[[Iteration], None] | None = None) -> dict:
    """Run the spec; returns the summary it writes."""
    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(spec.model_dump_json(indent=2))
    scenario = scenario_of(spec)
    started = time.perf_counter()
    central = solve_central(scenario)
    central_seconds = time.perf_counter() - started
    run = run_admm(scenario, AdmmConfig(spec.name, **spec.admm.model_dump()), progress=progress)
    summary = _summary(central, run, central_seconds)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    _write_iterations(folder / "iterations.csv", run)
    _write_buses(folder / "buses.csv", scenario, central, run)
    return summary


def _summary(central: Solution, run: Run, central_seconds: float) -> dict:
    solve = [i.solve_seconds for i in run.iterations]
    aggregate = [i.aggregate_seconds for i in run.iterations]
    return {"central_cost": central.cost, "admm_cost": run.cost, "gap": (run.cost - central.cost) / central.cost,
            "iterations": run.state.iteration, "converged": run.state.converged, "missed": run.state.missed,
            "central_seconds": central_seconds, "solve_seconds_per_iteration": sum(solve) / len(solve),
            "aggregate_seconds_per_iteration": sum(aggregate) / len(aggregate),
            "paper": {"iterations": 204, "gap": 0.004, "seconds_per_iteration": 1.2}}


def _write_iterations(path: Path, run: Run) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["iteration", "primal_residual", "dual_residual", "generator_cost", "solve_seconds",
                         "aggregate_seconds"])
        for i in run.iterations:
            writer.writerow([i.number, f"{i.primal:.6g}", f"{i.dual:.6g}", f"{i.cost:.6f}", f"{i.solve_seconds:.4f}",
                             f"{i.aggregate_seconds:.5f}"])


def _write_buses(path: Path, scenario: Scenario, central: Solution, run: Run) -> None:
    """Per bus and step: withdrawal and voltage, centralised and by ADMM, and the centralised nodal price."""
    layout = Layout.of(scenario.feeder, scenario.steps)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["bus", "step", "withdrawal_mw", "admm_withdrawal_mw", "voltage_pu", "admm_voltage_pu",
                         "price_per_mwh"])
        for bus in range(scenario.feeder.buses):
            block = layout.names.index((V, bus))
            for t in range(scenario.steps):
                admm_v = from_fixed(run.state.z[block * scenario.steps + t]) ** 0.5
                writer.writerow([bus, t, f"{central.withdrawal[bus][t] * scenario.feeder.base_mva:.6f}",
                                 f"{run.withdrawal[bus][t] * scenario.feeder.base_mva:.6f}",
                                 f"{central.v[bus][t] ** 0.5:.6f}", f"{admm_v:.6f}",
                                 f"{central.prices[bus][t]:.6f}"])
