"""AggregatorContract: create a run, register one agent identity per bus, take each iteration's copies, close.

Every input is checked before anything is written, so a refused call leaves no state. An iteration is open until
its operator closes it; a copy for a closed iteration is refused (and one endorsed before the close fails MVCC on
the head key it read), and a bus without a copy is handled by the aggregator's reuse rule. The arithmetic is
common/opf.step on integers: every endorser writes the same bytes.
"""

from __future__ import annotations

import json

from gridledger.chaincode import ChaincodeStub, Contract, query, transaction
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict, forbidden
from gridledger.common.opf import (
    AdmmConfig,
    AdmmConfigError,
    CopyError,
    FeederError,
    Layout,
    check_copy,
    initial_state,
    step,
)
from gridledger.common.opf.codec import feeder_from_json, feeder_to_json, state_from_json, state_to_json

from .records import ADMIN, bus_certificates, bus_submission, key, operator_run, require_bus, stored

MAX_STEPS = 96


def _head(iteration: int, converged: bool) -> dict:
    """The small record submit_copy reads instead of the whole state (tens of kB on a real feeder); close writes
    both, so a copy endorsed before a close still fails MVCC on it."""
    return {"iteration": iteration, "converged": converged}


class AggregatorContract(Contract):
    @transaction
    def create_run(self, stub: ChaincodeStub, config_json: dict, feeder_json: dict, steps: int) -> dict:
        """An org admin creates a run and becomes its operator (registers agents, closes iterations)."""
        if stub.creator.role != ADMIN:
            raise forbidden("only an org admin may create an ADMM run")
        try:
            config = AdmmConfig.from_dict(config_json)
            feeder = feeder_from_json(feeder_json)
        except (AdmmConfigError, FeederError, TypeError) as exc:
            raise bad_request(str(exc)) from None
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
            raise bad_request(f"steps must be an integer in 1..{MAX_STEPS}, got {steps!r}")
        if stub.get_state(key("run", config.run_id)) is not None:
            raise conflict(f"run {config.run_id!r} already exists")
        run = {"config": config.to_dict(), "feeder": feeder_to_json(feeder), "steps": steps,
               "operator": stub.creator.msp_id}
        stub.put_state(key("run", config.run_id), encode_value(run))
        state = initial_state(feeder, Layout.of(feeder, steps))
        stub.put_state(key("state", config.run_id), encode_value(state_to_json(state)))
        stub.put_state(key("head", config.run_id), encode_value(_head(state.iteration, state.converged)))
        return run

    @transaction
    def register(self, stub: ChaincodeStub, run_id: str, agents_json: list) -> int:
        """The operator names the one certificate (fingerprint) that may submit each bus's copies, before the first
        close. agents_json: [{"bus": int, "fingerprint": hex}, ...]. Returns how many were registered."""
        run = operator_run(stub, run_id)
        if stored(stub.get_state(key("head", run_id)), "state")["iteration"]:
            raise conflict(f"run {run_id!r} has started; agents are registered before the first close")
        checked = bus_certificates(agents_json, len(run["feeder"]["parent"]), "agent")
        for bus, fingerprint in checked.items():
            stub.put_state(key("agent", run_id, bus), fingerprint.encode())
        return len(checked)

    @transaction
    def submit_copy(self, stub: ChaincodeStub, run_id: str, iteration: int, bus: int, copy_json: list) -> int:
        """A bus's agent hands in its local copy x~_i for the open iteration. Returns the iteration."""
        run, feeder, (head_raw, earlier) = bus_submission(stub, run_id, bus, "agent", [
            key("head", run_id), key("copy", run_id, iteration, bus)])
        head = stored(head_raw, "state")
        if head["converged"]:
            raise conflict(f"run {run_id!r} converged at iteration {head['iteration']}")
        if iteration != head["iteration"] + 1:
            raise conflict(f"iteration {iteration} is not open: run {run_id!r} takes copies for iteration "
                           f"{head['iteration'] + 1}")
        if earlier is not None:
            raise conflict(f"bus {bus} already submitted its copy for iteration {iteration}")
        try:
            values = check_copy(feeder, Layout.of(feeder, run["steps"]), bus, copy_json)
        except CopyError as exc:
            raise bad_request(str(exc)) from None
        stub.put_state(key("copy", run_id, iteration, bus), encode_value(list(values)))
        return iteration

    @transaction
    def close_iteration(self, stub: ChaincodeStub, run_id: str, iteration: int) -> dict:
        """The operator ends the open iteration: the aggregator step over the copies received, silent buses reusing
        their last copy. Returns the residuals and whether the run has converged."""
        run = operator_run(stub, run_id)
        config = AdmmConfig.from_dict(run["config"])
        feeder = feeder_from_json(run["feeder"])
        state = state_from_json(stored(stub.get_state(key("state", run_id)), "state"))
        if state.converged or state.iteration >= config.max_iterations:
            raise conflict(f"run {run_id!r} is over at iteration {state.iteration}")
        if iteration != state.iteration + 1:
            raise conflict(f"iteration {iteration} is not open: run {run_id!r} is at {state.iteration + 1}")
        raws = stub.get_states([key("copy", run_id, iteration, bus) for bus in range(feeder.buses)])
        copies = {bus: tuple(json.loads(raw)) for bus, raw in enumerate(raws) if raw is not None}
        new, reused = step(state, Layout.of(feeder, run["steps"]), config, copies)
        stub.put_state(key("state", run_id), encode_value(state_to_json(new)))
        stub.put_state(key("head", run_id), encode_value(_head(new.iteration, new.converged)))
        summary = {"iteration": new.iteration, "primal_sq": new.primal_sq, "dual_sq": new.dual_sq,
                   "converged": new.converged, "reused": list(reused)}
        stub.put_state(key("closed", run_id, iteration), encode_value(summary))
        return summary

    @query
    def target(self, stub: ChaincodeStub, run_id: str, bus: int) -> dict:
        """What bus `bus` solves against next: the open iteration and z~ - u in fixed point."""
        run = stored(stub.get_state(key("run", run_id)), f"run {run_id!r}")
        feeder = feeder_from_json(run["feeder"])
        require_bus(bus, feeder.buses)
        state = state_from_json(stored(stub.get_state(key("state", run_id)), "state"))
        return {"iteration": state.iteration + 1, "converged": state.converged,
                "target": list(state.target(Layout.of(feeder, run["steps"]), bus))}

    @query
    def get_run(self, stub: ChaincodeStub, run_id: str) -> dict:
        return stored(stub.get_state(key("run", run_id)), f"run {run_id!r}")

    @query
    def get_state(self, stub: ChaincodeStub, run_id: str) -> dict:
        return stored(stub.get_state(key("state", run_id)), f"state of run {run_id!r}")

    @query
    def get_copy(self, stub: ChaincodeStub, run_id: str, iteration: int, bus: int) -> list:
        return stored(stub.get_state(key("copy", run_id, iteration, bus)), f"bus {bus}'s copy of {iteration}")

    @query
    def get_iteration(self, stub: ChaincodeStub, run_id: str, iteration: int) -> dict:
        """A closed iteration in one read for `opf verify`: its close summary and the copies submitted to it."""
        run = stored(stub.get_state(key("run", run_id)), f"run {run_id!r}")
        buses = len(run["feeder"]["parent"])
        closed, *copies = stub.get_states([key("closed", run_id, iteration),
                                           *(key("copy", run_id, iteration, bus) for bus in range(buses))])
        return {"closed": stored(closed, f"the close of iteration {iteration}"),
                "copies": {str(bus): json.loads(raw) for bus, raw in enumerate(copies) if raw is not None}}
