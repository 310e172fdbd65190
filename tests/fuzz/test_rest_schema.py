"""The CI slice of the REST fuzzing: schemathesis over every operation of the OpenAPI document the running REST
service serves (a few generated requests each) and a few stateful walks along its links, against a real network;
no 5xx, and every status, content type and body as the document declares. The long run is `scripts/fuzz.py rest`
(make test-faults)."""

from __future__ import annotations

import pytest

from tests.fuzz import rest_driver
from tests.fuzz.livenet import FuzzNetwork, enroll_admin_token

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 3
SCENARIOS = 10
SEED = 15


@pytest.fixture(scope="module")
def token(fuzz_net: FuzzNetwork) -> str:
    token = enroll_admin_token(fuzz_net)
    rest_driver.create_known_market(fuzz_net.rest_url(), token)
    return token


@pytest.fixture(scope="module")
def schema(fuzz_net: FuzzNetwork):
    return rest_driver.load_schema(fuzz_net.rest_url())


def test_every_operation_answers_as_its_schema_declares(schema, token: str) -> None:
    tallies = rest_driver.fuzz_stateless(schema, token, EXAMPLES_PER_OPERATION, SEED)
    assert len(tallies) >= 30  # every operation of the document, not a filtered few
    assert all(tally.inputs for tally in tallies.values())
    assert [f for t in tallies.values() for f in t.failures] == []
    assert [h for t in tallies.values() for h in t.hangs] == []
    # half the inputs name the market that exists, so its operations answer more than "not found"
    assert tallies["GET /v1/markets/{market_id}"].statuses[200] > 0
    assert set(tallies["GET /v1/markets/{market_id}/slots/{slot}"].statuses) - {404}


def test_stateful_walks_along_the_links_answer_as_declared(schema, token: str, fuzz_net: FuzzNetwork) -> None:
    tally = rest_driver.fuzz_stateful(schema, token, SCENARIOS, SEED)
    assert tally.inputs >= SCENARIOS
    assert tally.failures == [] and tally.hangs == []
    assert fuzz_net.healthy()
