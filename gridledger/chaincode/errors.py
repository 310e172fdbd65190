"""The one exception chaincode authors raise on purpose.

Any exception ends an invocation with an error response; raising ChaincodeError additionally lets the contract pick
the status (400 for bad input, 500 otherwise), so clients can tell their mistakes from the contract's.
"""

from __future__ import annotations

BAD_REQUEST = 400
INTERNAL_ERROR = 500


class ChaincodeError(Exception):
    """An expected failure: its message goes to the client unchanged, with `status` (400..599)."""

    def __init__(self, message: str, status: int = INTERNAL_ERROR) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"an error status is in 400..599, got {status}")
        super().__init__(message)
        self.message = message
        self.status = status
