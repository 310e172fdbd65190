"""The answer of a chaincode invocation as the shim hands it to a calling contract."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

OK = 200


@dataclass(frozen=True, slots=True)
class ChaincodeResponse:
    """HTTP-like status (200 success; 400 client error; 500 chaincode error), message and payload bytes."""

    status: int
    message: str = ""
    payload: bytes = b""

    @property
    def ok(self) -> bool:
        """Success as Fabric counts it: any status below 400."""
        return self.status < 400

    def text(self) -> str:
        return self.payload.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.payload)
