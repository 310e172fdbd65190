"""schemathesis against the REST service of a running network (its own process, started by `network up` with REST):
every operation of the OpenAPI document it serves, with inputs generated from that document, as an enrolled user
with every scope; and stateful runs that follow the document's links (services/rest/links.py: prepare -> endorse ->
submit -> transaction, chaincode submit -> transaction, market creation -> market and members).

Checks: no 5xx (not_a_server_error), every status code and content type is one the operation declares, and every
body validates against the declared schema. A failed check is recorded, not raised, so that one run reports all of
them. The pytest slice is tests/fuzz/test_rest_schema.py; the long run is `scripts/fuzz.py rest`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
REQUEST_TIMEOUT_S = 30  # a hang: no answer within this


@dataclass
class Tally:
    """What one operation (or the stateful run) answered: requests sent, statuses, failed checks."""

    inputs: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)

    def record(self, case, response, headers: dict[str, str]) -> None:
        self.inputs += 1
        self.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except Exception as exc:  # schemathesis raises a FailureGroup naming every failed check
            self.failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {str(exc)[:3000]}")


def load_schema(url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{url}/openapi.json")


MAX_WAIT_S = 1  # GET /v1/transactions/{tx_id}?wait= asks the service to wait for a commit; up to 60 s would
# only measure the clock, so generated waits are cut to this (the bounds themselves are the schema's, 0..60)


def bound_wait(case) -> None:
    if isinstance(case.query, dict) and isinstance(case.query.get("wait"), int | float):
        case.query["wait"] = min(case.query["wait"], MAX_WAIT_S)


def _call(case, headers: dict[str, str], tally: Tally):
    bound_wait(case)
    try:
        return case.call(headers=headers, timeout=REQUEST_TIMEOUT_S)
    except Exception as exc:  # requests' Timeout, or a connection the service dropped
        tally.inputs += 1
        tally.hangs.append(f"{case.method} {case.formatted_path}: {type(exc).__name__}: {exc}")
        return None


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck))


# Identifiers are generated too, and almost never name something that exists: half the inputs of an operation on a
# chaincode, a market, a household or an account name one that does, so that bodies and the other parameters reach a
# contract's checks rather than stop at "not found". The chaincode is the network's kv; the rest come from
# `create_known_market` (and the neighbourhood from livenet.create_known_neighbourhood).
DEPLOYED_CHAINCODE = "kv"
KNOWN_MARKET = "fuzz-market"
KNOWN_HOUSEHOLD = "fuzz-house"
KNOWN_NEIGHBOURHOOD = "fuzz-nb"  # created by livenet.create_known_neighbourhood where the dsm chaincode runs
KNOWN = {"market_id": KNOWN_MARKET, "household": KNOWN_HOUSEHOLD, "account": KNOWN_HOUSEHOLD,
         "neighbourhood": KNOWN_NEIGHBOURHOOD}


def create_known_market(url: str, token: str) -> None:
    """KNOWN_MARKET (commit-reveal, a ledger-height clock) with the fuzzing user registered in it as the prosumer of
    KNOWN_HOUSEHOLD, created through the service itself; needs the market and token chaincodes."""
    config = {"market_id": KNOWN_MARKET, "sealing": "commit-reveal", "lo": 50, "hi": 300,
              "clock": {"mode": "height", "start": 0, "slot_length": 10, "reveal_offset": 5}}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        fingerprint = http.get("/v1/users/me").raise_for_status().json()["fingerprint"]
        http.post("/v1/markets", json=config).raise_for_status()
        member = {"fingerprint": fingerprint, "role": "prosumer", "household": KNOWN_HOUSEHOLD}
        http.post(f"/v1/markets/{KNOWN_MARKET}/members", json={"members": [member]}).raise_for_status()


def _strategy(operation):
    free = operation.as_strategy()
    known = {name: value for name, value in KNOWN.items() if f"{{{name}}}" in operation.path}
    if "{name}" in operation.path and operation.path.startswith("/v1/chaincodes/"):
        known["name"] = DEPLOYED_CHAINCODE
    return free | operation.as_strategy(path_parameters=known) if known else free


def fuzz_operation(operation, token: str, examples: int, seed: int, tally: Tally) -> None:
    """Up to `examples` generated requests at one operation."""
    headers = {"Authorization": f"Bearer {token}"}

    @hypothesis_seed(seed)
    @_settings(examples)
    @given(case=_strategy(operation))
    def run(case) -> None:
        response = _call(case, headers, tally)
        if response is not None:
            tally.record(case, response, headers)

    run()


def fuzz_stateless(schema, token: str, examples: int, seed: int) -> dict[str, Tally]:
    """Every operation of the document, each with its own generated inputs."""
    tallies: dict[str, Tally] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzz_operation(operation, token, examples, seed, tallies.setdefault(operation.label, Tally()))
    return tallies


WALKS_PER_BATCH = 10


def fuzz_stateful(schema, token: str, scenarios: int, seed: int) -> Tally:
    """Sequences of calls that feed one answer into the next request along the document's links, in batches of
    WALKS_PER_BATCH walks, each batch its own hypothesis run (seed, seed + 1, ...). Why batches: which links a walk
    can follow depends on what the service already holds (markets created by earlier walks), so over a long run
    hypothesis sees the same choices lead to different draws and stops with FlakyStrategyDefinition, a verdict on
    the harness, not on the service."""
    tally = Tally()
    for batch in range((scenarios + WALKS_PER_BATCH - 1) // WALKS_PER_BATCH):
        _walk(schema, token, min(WALKS_PER_BATCH, scenarios - batch * WALKS_PER_BATCH), seed + batch, tally)
    return tally


def _walk(schema, token: str, walks: int, seed: int, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    class Walk(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case) -> None:
            bound_wait(case)

        def get_call_kwargs(self, case) -> dict:
            return {"headers": headers, "timeout": REQUEST_TIMEOUT_S}

        def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
            tally.record(case, response, headers)

    hypothesis_seed(seed)(Walk.TestCase)
    Walk.run(settings=settings(_settings(walks), stateful_step_count=6))
