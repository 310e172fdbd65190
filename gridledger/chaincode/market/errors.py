"""Error statuses the market and token contracts answer with, so clients and REST can tell why a call failed."""

from __future__ import annotations

from gridledger.chaincode import ChaincodeError

BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
CONFLICT = 409  # the phase or an existing record does not allow it (yet, or any more)


def bad_request(message: str) -> ChaincodeError:
    return ChaincodeError(message, BAD_REQUEST)


def forbidden(message: str) -> ChaincodeError:
    return ChaincodeError(message, FORBIDDEN)


def not_found(message: str) -> ChaincodeError:
    return ChaincodeError(message, NOT_FOUND)


def conflict(message: str) -> ChaincodeError:
    return ChaincodeError(message, CONFLICT)
