"""What the dashboard shows of demand-side management days and ADMM optimal power flow runs, recognised in the
committed blocks (blocks.py) by the calls that move them.

DSM (chaincode `dsm`, docs/dsm.md): every valid call that takes a neighbourhood and a day first (open_day, claim_pow,
submit_base, plan_day, submit_initial, start_iterations, offer, select, reveal, submit_reading) names a day that
may have changed; the feed reads that day once per block with `get_day` and shows its phase, iteration, and the
peak and 2-norm of the aggregate before steering and now. The neighbourhood's method is read once.

OPF (chaincode `opf`, docs/opf.md): `create_run` carries the run's ADMM configuration (rho and the tolerances) and
every `close_iteration` endorses the aggregator step's squared residuals, so the iterations need no query at all:
primal residual ||x~ - z~|| and dual residual rho * ||z~ - z~_prev||, in per-unit, beside the tolerances that stop
the run (common/opf/config.py).
"""

from __future__ import annotations

import collections
import json
import math
from dataclasses import dataclass, field

from gridledger.common.dsm.steering import squared_norm
from gridledger.common.opf import SCALE
from gridledger.services.rest.dashboard.blocks import CommittedBlock

DSM_CHAINCODE = "dsm"
OPF_CHAINCODE = "opf"
DAY_CALLS = frozenset({"open_day", "claim_pow", "submit_base", "plan_day", "submit_initial", "start_iterations",
                       "offer", "select", "reveal", "submit_reading"})
DAYS_SHOWN = 12
RUNS_SHOWN = 3
ITERATIONS_KEPT = 2000  # per run: a 24-step case33bw run took 1252 iterations (docs/opf.md)


def touched_days(block: CommittedBlock) -> list[tuple[str, int]]:
    """The (neighbourhood, day) pairs the block's valid DSM calls name, in order, each once."""
    found: dict[tuple[str, int], None] = {}
    for tx in block.transactions:
        if tx.valid and tx.chaincode == DSM_CHAINCODE and tx.function in DAY_CALLS and len(tx.args) >= 2:
            nb, day = tx.text_args()[:2]
            if day.isdigit():
                found[(nb, int(day))] = None
    return list(found)


def _peak_and_norm(profile: list[int]) -> tuple[int | None, int | None]:
    """As docs/dsm.md reports them: the largest power drawn or fed in over the day's slots (W), and the integer
    2-norm of the profile (what Profile Steering minimises)."""
    if not profile:
        return None, None
    return max(abs(value) for value in profile), math.isqrt(squared_norm(profile))


def day_view(nb: str, record: dict, method: str | None) -> dict:
    """One row of the DSM panel. `before` is the aggregate without batteries where the method records it
    (method 1), else the sum of the houses' initial plans (method 2): the start of Profile Steering."""
    before = record.get("base_aggregate") or record.get("initial_aggregate") or []
    peak_before, norm_before = _peak_and_norm(list(before))
    peak, norm = _peak_and_norm(list(record.get("aggregate") or []))
    return {"neighbourhood": nb, "day": record["number"], "method": method, "status": record["status"],
            "iteration": record["iteration"], "houses": len(record["houses"]), "planners": len(record["planners"]),
            "peak_before_w": peak_before, "peak_w": peak, "norm_before": norm_before, "norm": norm,
            "forger": record.get("forger") or None}


@dataclass
class OpfRun:
    run_id: str
    rho: float | None = None
    eps_pri: float | None = None
    eps_dual: float | None = None
    max_iterations: int | None = None
    converged: bool = False
    iterations: collections.deque[list[float]] = field(
        default_factory=lambda: collections.deque(maxlen=ITERATIONS_KEPT))

    def view(self) -> dict:
        last = self.iterations[-1] if self.iterations else None
        return {"run_id": self.run_id, "rho": self.rho, "eps_pri": self.eps_pri, "eps_dual": self.eps_dual,
                "max_iterations": self.max_iterations, "converged": self.converged,
                "iteration": int(last[0]) if last else 0, "primal": last[1] if last else None,
                "dual": last[2] if last else None, "iterations": list(self.iterations)}


class OpfRuns:
    """The last RUNS_SHOWN runs seen on the chain, with their residuals per iteration."""

    def __init__(self) -> None:
        self._runs: dict[str, OpfRun] = {}

    def add(self, block: CommittedBlock) -> bool:
        """Take a block's runs and closes; True when anything changed."""
        changed = False
        for tx in block.transactions:
            if not (tx.valid and tx.chaincode == OPF_CHAINCODE and tx.args):
                continue
            try:
                if tx.function == "create_run":
                    config = json.loads(tx.args[0])
                    run = self._run(str(config["run_id"]))
                    run.rho, run.eps_pri = float(config["rho"]), float(config["eps_pri"])
                    run.eps_dual, run.max_iterations = float(config["eps_dual"]), int(config["max_iterations"])
                    changed = True
                elif tx.function == "close_iteration":
                    self._close(self._run(tx.text_args()[0]), json.loads(tx.response))
                    changed = True
            except (ValueError, KeyError, TypeError):  # not the shape this dashboard knows: leave it out
                continue
        return changed

    def _run(self, run_id: str) -> OpfRun:
        if run_id not in self._runs:
            self._runs[run_id] = OpfRun(run_id)
            while len(self._runs) > RUNS_SHOWN:
                del self._runs[next(iter(self._runs))]
        return self._runs[run_id]

    @staticmethod
    def _close(run: OpfRun, summary: dict) -> None:
        primal = math.sqrt(int(summary["primal_sq"])) / SCALE
        dual = math.sqrt(int(summary["dual_sq"])) / SCALE * (run.rho if run.rho is not None else 1.0)
        run.iterations.append([int(summary["iteration"]), primal, dual])
        run.converged = bool(summary["converged"])

    def views(self) -> list[dict]:
        return [run.view() for run in self._runs.values()]
