"""AggregatorContract: create a run, register one agent identity per bus, take each iteration's copies, close.

Every input is checked before anything is written, so a refused call leaves no state. An iteration is open until
its operator closes it; a copy for a closed iteration is refused (and one endorsed before the close fails MVCC on
the head key it read), and a bus without a copy is handled by the aggregator's reuse rule. The arithmetic is
common/opf.step on integers: every endorser writes the same bytes.
"""

from __future__ import annotations

import json
import re

from gridledger.chaincode import ChaincodeStub, Contract, create_composite_key, query, transaction
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict, forbidden, not_found
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

ADMIN = "admin"
FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")
MAX_STEPS = 96


def _key(kind: str, run_id: str, *parts: int) -> str:
    return create_composite_key(kind, [run_id, *(f"{p:08d}" for p in parts)])


def _head(iteration: int, converged: bool) -> dict:
    """The small record submit_copy reads instead of the whole state (tens of kB on a real feeder); close writes
    both, so a copy endorsed before a close still fails MVCC on it."""
    return {"iteration": iteration, "converged": converged}


def _json(raw: bytes | None, what: str) -> dict:
    if raw is None:
        raise not_found(f"{what} does not exist")
    return json.loads(raw)


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
        if stub.get_state(_key("run", config.run_id)) is not None:
            raise conflict(f"run {config.run_id!r} already exists")
        run = {"config": config.to_dict(), "feeder": feeder_to_json(feeder), "steps": steps,
               "operator": stub.creator.msp_id}
        stub.put_state(_key("run", config.run_id), encode_value(run))
        state = initial_state(feeder, Layout.of(feeder, steps))
        stub.put_state(_key("state", config.run_id), encode_value(state_to_json(state)))
        stub.put_state(_key("head", config.run_id), encode_value(_head(state.iteration, state.converged)))
        return run

    @transaction
    def register(self, stub: ChaincodeStub, run_id: str, agents_json: list) -> int:
        """The operator names the one certificate (fingerprint) that may submit each bus's copies, before the first
        close. agents_json: [{"bus": int, "fingerprint": hex}, ...]. Returns how many were registered."""
        run = self._operator_run(stub, run_id)
        if _json(stub.get_state(_key("head", run_id)), "state")["iteration"]:
            raise conflict(f"run {run_id!r} has started; agents are registered before the first close")
        buses = len(run["feeder"]["parent"])
        if not isinstance(agents_json, list) or not 0 < len(agents_json) <= buses:
            raise bad_request(f"agents_json must list 1..{buses} agents")
        checked = []
        for entry in agents_json:
            if not isinstance(entry, dict) or set(entry) != {"bus", "fingerprint"}:
                raise bad_request('each agent is {"bus": int, "fingerprint": hex}')
            bus, fingerprint = entry["bus"], entry["fingerprint"]
            if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < buses:
                raise bad_request(f"bus {bus!r} is not a bus of the run's feeder (0..{buses - 1})")
            if not isinstance(fingerprint, str) or not FINGERPRINT.match(fingerprint):
                raise bad_request(f"fingerprint {fingerprint!r} is not 64 lowercase hex digits")
            checked.append((bus, fingerprint))
        for bus, fingerprint in checked:
            stub.put_state(_key("agent", run_id, bus), fingerprint.encode())
        return len(checked)

    @transaction
    def submit_copy(self, stub: ChaincodeStub, run_id: str, iteration: int, bus: int, copy_json: list) -> int:
        """A bus's agent hands in its local copy x~_i for the open iteration. Returns the iteration."""
        run = _json(stub.get_state(_key("run", run_id)), f"run {run_id!r}")
        feeder = feeder_from_json(run["feeder"])
        if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < feeder.buses:
            raise bad_request(f"bus {bus!r} is not a bus of the run's feeder (0..{feeder.buses - 1})")
        head_raw, agent, earlier = stub.get_states([_key("head", run_id), _key("agent", run_id, bus),
                                                    _key("copy", run_id, iteration, bus)])
        if agent is None or agent.decode() != stub.creator.fingerprint:
            raise forbidden(f"the submitter is not the agent registered at bus {bus} of run {run_id!r}")
        head = _json(head_raw, "state")
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
        stub.put_state(_key("copy", run_id, iteration, bus), encode_value(list(values)))
        return iteration

    @transaction
    def close_iteration(self, stub: ChaincodeStub, run_id: str, iteration: int) -> dict:
        """The operator ends the open iteration: the aggregator step over the copies received, silent buses reusing
        their last copy. Returns the residuals and whether the run has converged."""
        run = self._operator_run(stub, run_id)
        config = AdmmConfig.from_dict(run["config"])
        feeder = feeder_from_json(run["feeder"])
        state = state_from_json(_json(stub.get_state(_key("state", run_id)), "state"))
        if state.converged or state.iteration >= config.max_iterations:
            raise conflict(f"run {run_id!r} is over at iteration {state.iteration}")
        if iteration != state.iteration + 1:
            raise conflict(f"iteration {iteration} is not open: run {run_id!r} is at {state.iteration + 1}")
        raws = stub.get_states([_key("copy", run_id, iteration, bus) for bus in range(feeder.buses)])
        copies = {bus: tuple(json.loads(raw)) for bus, raw in enumerate(raws) if raw is not None}
        new, reused = step(state, Layout.of(feeder, run["steps"]), config, copies)
        stub.put_state(_key("state", run_id), encode_value(state_to_json(new)))
        stub.put_state(_key("head", run_id), encode_value(_head(new.iteration, new.converged)))
        summary = {"iteration": new.iteration, "primal_sq": new.primal_sq, "dual_sq": new.dual_sq,
                   "converged": new.converged, "reused": list(reused)}
        stub.put_state(_key("closed", run_id, iteration), encode_value(summary))
        return summary

    @query
    def target(self, stub: ChaincodeStub, run_id: str, bus: int) -> dict:
        """What bus `bus` solves against next: the open iteration and z~ - u in fixed point."""
        run = _json(stub.get_state(_key("run", run_id)), f"run {run_id!r}")
        feeder = feeder_from_json(run["feeder"])
        if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < feeder.buses:
            raise bad_request(f"bus {bus!r} is not a bus of the run's feeder (0..{feeder.buses - 1})")
        state = state_from_json(_json(stub.get_state(_key("state", run_id)), "state"))
        return {"iteration": state.iteration + 1, "converged": state.converged,
                "target": list(state.target(Layout.of(feeder, run["steps"]), bus))}

    @query
    def get_run(self, stub: ChaincodeStub, run_id: str) -> dict:
        return _json(stub.get_state(_key("run", run_id)), f"run {run_id!r}")

    @query
    def get_state(self, stub: ChaincodeStub, run_id: str) -> dict:
        return _json(stub.get_state(_key("state", run_id)), f"state of run {run_id!r}")

    @query
    def get_copy(self, stub: ChaincodeStub, run_id: str, iteration: int, bus: int) -> list:
        return _json(stub.get_state(_key("copy", run_id, iteration, bus)), f"bus {bus}'s copy of {iteration}")

    def _operator_run(self, stub: ChaincodeStub, run_id: str) -> dict:
        run = _json(stub.get_state(_key("run", run_id)), f"run {run_id!r}")
        if stub.creator.role != ADMIN or stub.creator.msp_id != run["operator"]:
            raise forbidden(f"only an admin of {run['operator']}, the run's operator, may do this")
        return run
