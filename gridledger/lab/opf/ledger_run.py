"""An ADMM run and its billing driven through the OPF chaincode, over any contract handles with the SDK's shape
(`submit` answering an object with `.payload`, `evaluate` answering bytes): `opf onchain` passes gateway
contracts, the tests an in-process ledger's. Per iteration every agent reads its target, solves, and submits its
copy (all at once), then the operator closes; after convergence the operator opens billing, the meters report and
the operator settles.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any, Protocol

from gridledger.common.opf.billing import BillingConfig
from gridledger.lab.opf.agent import LocalSolver

PHASES = ("read_seconds", "solve_seconds", "submit_seconds", "close_seconds")


class Chaincode(Protocol):
    async def submit(self, function: str, *args: Any) -> Any: ...

    async def evaluate(self, function: str, *args: Any) -> bytes: ...


async def iterate(operator: Chaincode, agents: list[Chaincode], solvers: list[LocalSolver], run_id: str,
                  iterations: int) -> list[dict]:
    """Up to `iterations` iterations of a created run with registered agents (agents[bus] solves with
    solvers[bus]); stops at convergence. One row per iteration: seconds per phase and the close's summary."""
    rows = []
    state = json.loads(await operator.evaluate("get_state", run_id))
    for iteration in range(state["iteration"] + 1, state["iteration"] + iterations + 1):
        started = time.perf_counter()
        targets = await asyncio.gather(*(agent.evaluate("target", run_id, bus) for bus, agent in enumerate(agents)))
        read = time.perf_counter()
        copies = [s.solve(tuple(json.loads(t)["target"])) for s, t in zip(solvers, targets, strict=True)]
        solved = time.perf_counter()
        await asyncio.gather(*(agent.submit("submit_copy", run_id, iteration, bus, list(copy))
                               for bus, (agent, copy) in enumerate(zip(agents, copies, strict=True))))
        submitted = time.perf_counter()
        summary = json.loads((await operator.submit("close_iteration", run_id, iteration)).payload)
        closed = time.perf_counter()
        rows.append({"iteration": iteration, "read_seconds": read - started, "solve_seconds": solved - read,
                     "submit_seconds": submitted - solved, "close_seconds": closed - submitted,
                     "primal_sq": summary["primal_sq"], "dual_sq": summary["dual_sq"],
                     "converged": summary["converged"]})
        if summary["converged"]:
            break
    return rows


def metered(schedule: list[list[int]], buses: list[int], spread: float, seed: int) -> dict[int, list[int]]:
    """Simulated meter readings: each listed bus's schedule off by up to +-spread of each step's Wh (one
    random.Random(seed), buses in the order given)."""
    rng = random.Random(seed)
    return {bus: [round(wh * (1 + rng.uniform(-spread, spread))) for wh in schedule[bus]] for bus in buses}


async def bill_run(operator: Chaincode, meters: dict[int, Chaincode], meter_ids: dict[int, str], run_id: str,
                   billing: BillingConfig, spread: float, seed: int) -> dict:
    """Open billing of a converged run with `meter_ids` (bus: certificate fingerprint), let each meter report
    (readings from `metered`), settle; returns the settlement record."""
    record = json.loads((await operator.submit("open_billing", run_id, billing.to_dict(), [
        {"bus": bus, "fingerprint": fingerprint} for bus, fingerprint in sorted(meter_ids.items())])).payload)
    readings = metered(record["schedule"], sorted(meters), spread, seed)
    await asyncio.gather(*(meters[bus].submit("submit_reading", run_id, bus, reading)
                           for bus, reading in readings.items()))
    return json.loads((await operator.submit("settle", run_id)).payload)
