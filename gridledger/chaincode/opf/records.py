"""Where the OPF chaincode keeps its records and who may change a run: the key scheme and the operator check that
the aggregator (contract.py) and billing (billing.py) share, so both read a run the same way."""

from __future__ import annotations

import json
import re
from typing import Any

from gridledger.chaincode import ChaincodeStub, create_composite_key
from gridledger.chaincode.errors import bad_request, forbidden, not_found
from gridledger.common.opf import Feeder
from gridledger.common.opf.codec import feeder_from_json

ADMIN = "admin"
FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")


def key(kind: str, run_id: str, *parts: int) -> str:
    """A run's record of `kind`; integer parts are zero-padded so a range over them is in numeric order."""
    return create_composite_key(kind, [run_id, *(f"{p:08d}" for p in parts)])


def stored(raw: bytes | None, what: str) -> Any:
    """The JSON record read from `raw`, or 404 naming `what`."""
    if raw is None:
        raise not_found(f"{what} does not exist")
    return json.loads(raw)


def operator_run(stub: ChaincodeStub, run_id: str) -> dict:
    """The run record, if the submitter is an admin of the org that created it (its operator)."""
    run = stored(stub.get_state(key("run", run_id)), f"run {run_id!r}")
    if stub.creator.role != ADMIN or stub.creator.msp_id != run["operator"]:
        raise forbidden(f"only an admin of {run['operator']}, the run's operator, may do this")
    return run


def bus_certificates(entries: object, buses: int, role: str) -> dict[int, str]:
    """[{"bus": int, "fingerprint": hex}, ...] checked whole before anything is written: at most one certificate
    per bus, 1..buses of them. `role` (agent, meter) names them in the errors."""
    if not isinstance(entries, list) or not 0 < len(entries) <= buses:
        raise bad_request(f"the {role}s must list 1..{buses} {role}s")
    checked: dict[int, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"bus", "fingerprint"}:
            raise bad_request(f'each {role} is {{"bus": int, "fingerprint": hex}}')
        bus, fingerprint = require_bus(entry["bus"], buses), entry["fingerprint"]
        if bus in checked:
            raise bad_request(f"bus {bus} has two {role}s")
        if not isinstance(fingerprint, str) or not FINGERPRINT.match(fingerprint):
            raise bad_request(f"fingerprint {fingerprint!r} is not 64 lowercase hex digits")
        checked[bus] = fingerprint
    return checked


def require_bus(bus: object, buses: int) -> int:
    if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < buses:
        raise bad_request(f"bus {bus!r} is not a bus of the run's feeder (0..{buses - 1})")
    return bus


def bus_submission(stub: ChaincodeStub, run_id: str, bus: object, role: str,
                   keys: list[str]) -> tuple[dict, Feeder, list[bytes | None]]:
    """What a bus's agent or meter submission starts with: the run, its feeder, the bus checked, the submitter
    checked against the certificate registered for `role` at the bus; and the values of `keys`, read with it."""
    run = stored(stub.get_state(key("run", run_id)), f"run {run_id!r}")
    feeder = feeder_from_json(run["feeder"])
    require_bus(bus, feeder.buses)
    certificate, *values = stub.get_states([key(role, run_id, bus), *keys])
    if certificate is None or certificate.decode() != stub.creator.fingerprint:
        raise forbidden(f"the submitter is not the {role} registered at bus {bus} of run {run_id!r}")
    return run, feeder, values
