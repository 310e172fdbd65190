"""Running one function of a contract and turning every outcome into a response.

Whatever the contract does, the caller gets a status, a message and payload bytes, never an exception: a worker
must survive any transaction. Error messages carry the exception's type and text only, not a traceback, so no file
paths or code leak to clients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridledger.chaincode.codec import ArgumentError, encode_value
from gridledger.chaincode.context import TxContext
from gridledger.chaincode.contract import Contract
from gridledger.chaincode.errors import BAD_REQUEST, INTERNAL_ERROR, ChaincodeError
from gridledger.chaincode.response import OK, ChaincodeResponse
from gridledger.chaincode.stub import ChaincodeStub, StateBackend

MAX_MESSAGE = 2048


@dataclass(frozen=True, slots=True)
class Outcome:
    """The response and, on success, the event the contract set."""

    response: ChaincodeResponse
    event: tuple[str, bytes] | None = None


def _error(status: int, message: str) -> Outcome:
    if len(message) > MAX_MESSAGE:
        message = message[: MAX_MESSAGE - 3] + "..."
    return Outcome(ChaincodeResponse(status, message))


def run_function(contract: Contract, context: TxContext, function: str, args: Sequence[bytes],
                 backend: StateBackend) -> Outcome:
    """Call `function` with `args`; unknown function or bad arguments are 400, failures in the contract 500."""
    spec = contract.functions().get(function)
    if spec is None:
        known = ", ".join(sorted(contract.functions())) or "none"
        return _error(BAD_REQUEST, f"unknown function {function[:100]!r} (functions: {known})")
    try:
        values = spec.decode(args)
    except ArgumentError as exc:
        return _error(BAD_REQUEST, str(exc))
    stub = ChaincodeStub(context, function, args, backend, read_only=spec.read_only)
    try:
        result = getattr(contract, function)(stub, *values)
        payload = encode_value(result)
    except ChaincodeError as exc:
        return _error(exc.status, exc.message)
    except SystemExit:
        return _error(INTERNAL_ERROR, f"{function} tried to exit the chaincode process")
    except Exception as exc:  # any failure of contract code is the transaction's, never the worker's
        text = str(exc)
        return _error(INTERNAL_ERROR, f"{type(exc).__name__}: {text}" if text else type(exc).__name__)
    return Outcome(ChaincodeResponse(OK, "", payload), stub.event)
