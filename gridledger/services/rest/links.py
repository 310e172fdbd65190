"""OpenAPI links between the REST operations: which answer field feeds which next request (prepare -> endorse ->
submit -> the transaction; a market's creation -> the market and its members; an opened day -> the day). They make
the document walkable for generated clients and for stateful testing (schemathesis follows them, tests/fuzz).

`follow(status, name=(method, path, parameters))` is a route's `responses=` entry; parameters map a target's
path parameter to a runtime expression such as `$response.body#/tx_id` (OpenAPI 3.1, "Link Object").
"""

from __future__ import annotations

from typing import Any

Target = tuple[str, str, dict[str, str]]
RESPONSE_TX_ID = "$response.body#/tx_id"
TRANSACTION = ("get", "/v1/transactions/{tx_id}", {"tx_id": RESPONSE_TX_ID})  # every ordered call's tx_id -> its status


def operation_ref(method: str, path: str) -> str:
    """A JSON pointer into this document's paths (RFC 6901: `~` as `~0`, `/` as `~1`)."""
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def follow(status: int, **targets: Target) -> dict[int | str, dict[str, Any]]:
    return {status: {"links": {name: {"operationRef": operation_ref(method, path), "parameters": parameters}
                               for name, (method, path, parameters) in targets.items()}}}
