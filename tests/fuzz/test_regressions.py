"""What the decoder fuzzers found, held fixed: each saved input under tests/fuzz/regressions/ is refused the way
its target documents when a contract is actually called with it, not only when the decoder is."""

from __future__ import annotations

import pytest

from gridledger.chaincode import ChaincodeStub, Contract, transaction
from gridledger.chaincode.runner import run_function
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
