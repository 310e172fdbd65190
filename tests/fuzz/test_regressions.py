"""What the fuzzers found, held fixed: each saved decoder input under tests/fuzz/regressions/ is refused the way its
target documents when a contract is actually called with it, not only when the decoder is; and the REST models
agree with their schema where schemathesis found them apart."""

from __future__ import annotations

import jsonschema
import pytest
from pydantic import ValidationError

from gridledger.chaincode import ChaincodeStub, Contract, transaction
from gridledger.chaincode.runner import run_function
from gridledger.services.rest.dsm_models import OpenDayBody
from gridledger.services.rest.market_models import MemberBody, ReadingBody
from tests.chaincode.fakes import MemoryBackend, make_context
from tests.fuzz.corpus import regression_inputs


class Meter(Contract):
    @transaction
    def record(self, stub: ChaincodeStub, reading: dict) -> None:
        stub.put_state("reading", repr(reading).encode())

    @transaction
    def scale(self, stub: ChaincodeStub, factor: float) -> float:
        return factor


# A 400-digit integer is a fine JSON value for a dict-annotated parameter (any JSON is): only a float refuses it.
VALID_AS_JSON = {"json-integer-beyond-float"}
CALLS = [(function, name, data) for name, data in regression_inputs("codec")
         for function in ("record", "scale") if function == "scale" or name not in VALID_AS_JSON]


@pytest.mark.parametrize(("function", "file_name", "data"), CALLS)
def test_codec_crash_inputs_are_a_bad_request(function: str, file_name: str, data: bytes) -> None:
    """Before the fix, JSON nested about a thousand deep raised RecursionError, an integer of 400 digits as a float
    OverflowError and one of 4,400 digits ValueError out of the decoder: the worker answered 500 or died instead of
    naming the bad argument."""
    outcome = run_function(Meter(), make_context(), function, [data], MemoryBackend())
    assert outcome.response.status == 400, (file_name, outcome.response.message)
    assert "argument 1" in outcome.response.message


# ---- found by schemathesis: requests the OpenAPI document allows, refused by the service with 422 ----

@pytest.mark.parametrize(("value", "accepted"), [(3, True), (3.0, True), (3.5, False), ("3", False), (True, False)])
def test_an_integral_json_number_is_an_integer_as_the_schema_says(value: object, accepted: bool) -> None:
    """JSON Schema's `integer` includes 3.0, and schemathesis sent it: the strict models refused it with 422."""
    body = {"market_id": "m1", "slot": value, "use_wh": 1, "gen_wh": 0}
    try:
        reading = ReadingBody.model_validate(body)
    except ValidationError:
        assert not accepted
    else:
        assert accepted and reading.slot == 3 and type(reading.slot) is int
    assert (OpenDayBody.model_validate({"day": 2.0}).day, type(OpenDayBody.model_validate({"day": 2.0}).day)) == \
        (2, int)


@pytest.mark.parametrize(("member", "accepted"), [
    ({"role": "prosumer", "household": "h1"}, True), ({"role": "meter"}, False),
    ({"role": "prosumer", "household": "grid"}, False), ({"role": "auctioneer"}, True),
    ({"role": "auctioneer", "household": "h1"}, False), ({"role": "meter", "household": "-x"}, False),
])
def test_the_schema_says_which_roles_need_a_household(member: dict, accepted: bool) -> None:
    """schemathesis generated prosumers and meters without a household, which the schema allowed and the service
    refused; the schema now carries the rule (if/then/else) and agrees with the model on each case."""
    body = {"fingerprint": "ab" * 32, **member}
    assert jsonschema.Draft202012Validator(MemberBody.model_json_schema()).is_valid(body) is accepted
    try:
        MemberBody.model_validate(body)
    except ValidationError:
        assert not accepted
    else:
        assert accepted
