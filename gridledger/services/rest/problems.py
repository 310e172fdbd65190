"""Every error leaves the service as RFC 9457 `application/problem+json`: a type, a precise title, the status, a
detail that says what to do, and extension members a program can act on (validation_code, tx_id, retryable,
attempts, errors). Clients never see stack traces; unexpected failures are logged with a reference they get.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gridledger.common import logs
from gridledger.sdk import errors

log = logging.getLogger("gridledger.rest")
PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_S = 2


class Problem(Exception):
    """Raise to answer with a problem document. `kind` becomes the type URN `urn:gridledger:problem:<kind>`."""

    def __init__(self, status: int, kind: str, title: str, detail: str, *, headers: dict[str, str] | None = None,
                 **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions

    def response(self, instance: str | None = None) -> JSONResponse:
        body = {"type": f"urn:gridledger:problem:{self.kind}", "title": self.title, "status": self.status,
                "detail": self.detail}
        if instance:
            body["instance"] = instance
        body.update(self.extensions)
        return JSONResponse(body, status_code=self.status, headers=self.headers, media_type=PROBLEM_JSON)


def unavailable(detail: str, **extensions: Any) -> Problem:
    return Problem(503, "unavailable", "Network unavailable", detail,
                   headers={"Retry-After": str(RETRY_AFTER_S)}, **extensions)


_CHAINCODE_PASS_THROUGH = {400, 403, 404, 409}


def from_sdk_error(exc: errors.GridLedgerError) -> Problem:
    """The HTTP answer for an SDK error (see the REST API table in README.md)."""
    attempts = {"attempts": exc.attempts, "retryable": exc.retryable}
    if isinstance(exc, errors.TransactionInvalid):
        return Problem(409, exc.code_name.lower().replace("_", "-"), f"Transaction invalid: {exc.code_name}",
                       f"transaction {exc.tx_id} was ordered in block {exc.block} but validation marked it "
                       f"{exc.code_name}" + ("; submitting it again may succeed" if exc.retryable else ""),
                       validation_code=exc.code_name, tx_id=exc.tx_id, block=exc.block, **attempts)
    if isinstance(exc, errors.ChaincodeError):
        if exc.status < 500:
            status = exc.status if exc.status in _CHAINCODE_PASS_THROUGH else 400
            return Problem(status, "chaincode-rejected", "Chaincode rejected the request", exc.message,
                           chaincode_status=exc.status, **attempts)
        return Problem(409, "chaincode-refused", "Chaincode refused the transaction", exc.message,
                       chaincode_status=exc.status, **attempts)
    if isinstance(exc, errors.CommitStatusUnknown):
        return Problem(504, "commit-status-unknown", "Commit status unknown",
                       f"{exc}; look it up with GET /v1/transactions/{exc.tx_id} before submitting again",
                       headers={"Retry-After": str(RETRY_AFTER_S)}, tx_id=exc.tx_id, **attempts)
    if isinstance(exc, errors.Unavailable):
        return unavailable(str(exc), **attempts)
    if isinstance(exc, errors.DeadlineExceeded):
        return Problem(504, "timeout", "Network timeout", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)},
                       **attempts)
    if isinstance(exc, errors.GatewayStatusError):
        status, kind, title = {
            grpc.StatusCode.PERMISSION_DENIED: (403, "refused-by-network", "Refused by the network"),
            grpc.StatusCode.UNAUTHENTICATED: (403, "refused-by-network", "Identity refused by the network"),
            grpc.StatusCode.INVALID_ARGUMENT: (400, "invalid-transaction", "Invalid transaction"),
            grpc.StatusCode.NOT_FOUND: (404, "not-found", "Not found on the channel"),
            grpc.StatusCode.ALREADY_EXISTS: (409, "duplicate-transaction", "Transaction already committed"),
            grpc.StatusCode.ABORTED: (409, "endorsement-mismatch", "Endorsements disagree"),
            grpc.StatusCode.FAILED_PRECONDITION: (409, "failed-precondition", "Channel state does not allow this"),
        }.get(exc.code, (502, "peer-error", "Peer error"))
        return Problem(status, kind, title, exc.details or str(exc), grpc_status=exc.code.name, **attempts)
    if isinstance(exc, errors.WalletError):
        log.error("wallet error: %s", exc)
        return Problem(500, "wallet", "Service cannot use the identity",
                       "the service could not open this user's key; the operator must check its wallet passphrase")
    return Problem(502, "peer-error", "Peer error", str(exc), **attempts)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Where and what, without echoing the (possibly large or private) input back."""
    found = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        message = error.get("msg", "")
        if error.get("type") == "json_invalid":  # pydantic places it at the character offset
            message = f"the body is not valid JSON (at character {location[-1]}: {error.get('ctx', {}).get('error')})"
            location = location[:1]
        found.append({"location": ".".join(location), "message": message, "type": error.get("type", "")})
    return found


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(request.url.path)

    @app.exception_handler(errors.GridLedgerError)
    async def _sdk(request: Request, exc: errors.GridLedgerError) -> JSONResponse:
        return from_sdk_error(exc).response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        found = _validation_errors(exc)
        detail = "; ".join(f"{e['location']}: {e['message']}" for e in found[:5])
        return Problem(422, "invalid-request", "Malformed request", detail, errors=found).response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large", 401: "Unauthorized"}
        title = titles.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return Problem(exc.status_code, title.lower().replace(" ", "-"), title, detail,
                       headers=dict(exc.headers or {})).response(request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = secrets.token_hex(6)
        logs.log_event(log, "unhandled error", level=logging.ERROR, exc_info=True, reference=reference,
                       path=request.url.path)
        return Problem(500, "internal", "Internal error",
                       f"the service failed unexpectedly; the operator can find reference {reference} in its log",
                       reference=reference).response(request.url.path)
