"""The one exception chaincode authors raise on purpose, and the statuses the shipped contracts answer with.

Any exception ends an invocation with an error response; raising ChaincodeError additionally lets the contract pick
the status (400 for bad input, 500 otherwise), so clients and REST can tell their mistakes from the contract's and
why a call failed.
"""

from __future__ import annotations

BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
CONFLICT = 409  # the phase or an existing record does not allow it (yet, or any more)
INTERNAL_ERROR = 500


class ChaincodeError(Exception):
    """An expected failure: its message goes to the client unchanged, with `status` (400..599)."""

    def __init__(self, message: str, status: int = INTERNAL_ERROR) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"an error status is in 400..599, got {status}")
        super().__init__(message)
        self.message = message
        self.status = status


def bad_request(message: str) -> ChaincodeError:
    return ChaincodeError(message, BAD_REQUEST)


def forbidden(message: str) -> ChaincodeError:
    return ChaincodeError(message, FORBIDDEN)


def not_found(message: str) -> ChaincodeError:
    return ChaincodeError(message, NOT_FOUND)


def conflict(message: str) -> ChaincodeError:
    return ChaincodeError(message, CONFLICT)
