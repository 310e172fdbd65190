"""`gridledger opf verify RUN`: recompute an ADMM run and its bill from what the ledger holds.

From the flat start, every closed iteration's copies (as submitted) go through common/opf.step again; each close's
residuals, convergence and reused buses, and the final state, must be the ledger's exactly. If billing is open,
its prices and schedule are recomputed from that state; if settled, the bill and the transfers from the stored
readings. Everything is integers, so "the same" means equal, not close.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from gridledger.common.opf import AdmmConfig, AdmmState, CopyError, Feeder, Layout, check_copy, initial_state, step
from gridledger.common.opf.billing import BillingConfig, BillingError, bill, price_table, schedule_wh
from gridledger.common.opf.codec import feeder_from_json, state_to_json
from gridledger.sdk import ChaincodeError

NOT_FOUND = 404


class Reader(Protocol):
    async def evaluate(self, function: str, *args: Any) -> bytes: ...


@dataclass
class RunCheck:
    run_id: str
    iterations: int = 0
    converged: bool = False
    billing: str = "not open"  # not open | open | settled
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _read(reader: Reader, function: str, *args: Any) -> Any:
    """The decoded answer, or None where the ledger has no such record (404)."""
    try:
        return json.loads(await reader.evaluate(function, *args))
    except ChaincodeError as exc:
        if exc.status == NOT_FOUND:
            return None
        raise


async def verify_run(reader: Reader, run_id: str) -> RunCheck:
    """`reader` evaluates the OPF chaincode's queries (an SDK contract)."""
    check = RunCheck(run_id)
    run = await _read(reader, "get_run", run_id)
    if run is None:
        check.problems.append(f"run {run_id!r} is not on the ledger")
        return check
    config, feeder = AdmmConfig.from_dict(run["config"]), feeder_from_json(run["feeder"])
    layout = Layout.of(feeder, run["steps"])
    stored = await _read(reader, "get_state", run_id)
    state = initial_state(feeder, layout)
    for iteration in range(1, stored["iteration"] + 1):
        record = await _read(reader, "get_iteration", run_id, iteration)
        try:
            copies = {int(bus): check_copy(feeder, layout, int(bus), values)
                      for bus, values in record["copies"].items()}
        except CopyError as exc:
            check.problems.append(f"iteration {iteration} holds a copy the aggregator refuses: {exc}")
            return check
        state, reused = step(state, layout, config, copies)
        closed = record["closed"]
        again = {"iteration": state.iteration, "primal_sq": state.primal_sq, "dual_sq": state.dual_sq,
                 "converged": state.converged, "reused": list(reused)}
        if closed != again:
            check.problems.append(f"iteration {iteration}: the ledger's close {closed} is not the step's {again}")
            return check
    check.iterations, check.converged = state.iteration, state.converged
    if state_to_json(state) != stored:
        check.problems.append("the ledger's state is not the one the steps over its copies give")
        return check
    await _verify_billing(reader, check, feeder, layout, state)
    return check


async def _verify_billing(reader: Reader, check: RunCheck, feeder: Feeder, layout: Layout,
                          state: AdmmState) -> None:
    billing = await _read(reader, "get_billing", check.run_id)
    if billing is None:
        return
    check.billing = "settled" if billing["settled"] else "open"
    terms = BillingConfig.from_dict(billing["config"])
    try:
        prices, schedule = price_table(feeder, layout, terms, state), schedule_wh(feeder, layout, state)
    except BillingError as exc:
        check.problems.append(f"billing is open but cannot be recomputed: {exc}")
        return
    if [list(r) for r in prices] != billing["prices"]:
        check.problems.append("the ledger's nodal prices are not the converged state's")
    if [list(r) for r in schedule] != billing["schedule"]:
        check.problems.append("the ledger's schedule is not the converged state's")
    if not billing["settled"]:
        return
    readings = {}
    for bus in range(feeder.buses):
        reading = await _read(reader, "get_reading", check.run_id, bus)
        if reading is not None:
            readings[bus] = tuple(reading)
    again = bill(prices, schedule, readings, terms.penalty_per_mwh)
    expected = {**again.to_dict(), "transfers": again.transfers(check.run_id, terms.grid_account)}
    if await _read(reader, "get_bill", check.run_id) != expected:
        check.problems.append("the ledger's bill is not the one its prices, schedule and readings give")
