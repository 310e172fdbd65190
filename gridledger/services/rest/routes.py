"""The /v1 endpoints: chaincode submit and evaluate (custodial), the offline-signing trio, transactions, blocks,
chain, users; and the health and readiness probes."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import replace
from typing import Annotated

import grpc
from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from gridledger.common import msp
from gridledger.sdk import errors, offline
from gridledger.services.rest.backend import RestBackend, b64, block_json, text_or_none
from gridledger.services.rest.deps import authenticated, get_backend, require
from gridledger.services.rest.enrol import register_certificate
from gridledger.services.rest.links import RESPONSE_TX_ID, TRANSACTION, follow
from gridledger.services.rest.models import (
    CHAINCODE_NAME,
    TX_ID,
    CertificateBody,
    ChainResponse,
    EndorseResponse,
    EvaluateBody,
    EvaluateResponse,
    Health,
    PrepareBody,
    PrepareResponse,
    SignatureBody,
    SubmitBody,
    SubmitResponse,
    TransactionResponse,
    UserResponse,
    decode64,
)
from gridledger.services.rest.problems import Problem, unavailable
from gridledger.services.rest.users import USER_NAME, UnknownUser, User, UserError

Backend = Annotated[RestBackend, Depends(get_backend)]
ChaincodeName = Annotated[str, Path(pattern=CHAINCODE_NAME, description="chaincode name")]
UserName = Annotated[str, Path(pattern=USER_NAME.pattern.replace("\\Z", "$"), description="enrolled user")]
TxId = Annotated[str, Path(pattern=TX_ID, description="transaction id (64 hex digits)")]
_PROBLEM = {"content": {"application/problem+json": {}}}
PROBLEMS = {code: {"description": text, **_PROBLEM} for code, text in {
    400: "chaincode rejected the request, bad signature or invalid transaction",
    401: "missing or invalid token", 403: "the user lacks the right", 404: "not found",
    409: "chaincode refused, or validation marked the transaction invalid (validation_code)",
    413: "request body too large", 422: "malformed request body or parameter",
    503: "network unavailable (Retry-After)", 504: "network timeout or commit status unknown"}.items()}

router = APIRouter(prefix="/v1", responses=PROBLEMS)  # type: ignore[arg-type]
probes = APIRouter(tags=["probes"])


def _user_response(user: User) -> UserResponse:
    fingerprint = msp.fingerprint(RestBackend.certificate_der(user)) if user.certificate_pem else None
    return UserResponse(user=user.name, msp_id=user.msp_id, scopes=list(user.scopes), custodial=user.custodial,
                        certificate=user.certificate_pem, fingerprint=fingerprint)


# ---------- custodial chaincode calls ----------

@router.post("/chaincodes/{name}/submit", tags=["chaincode"], response_model=SubmitResponse,
             responses=follow(200, transaction=TRANSACTION))
async def submit(name: ChaincodeName, body: SubmitBody, backend: Backend,
                 user: Annotated[User, Depends(require("submit"))]) -> SubmitResponse:
    """Endorse, sign with the user's custodial key, order and wait for the commit. Retryable failures (MVCC and
    phantom conflicts, unavailable endorser or orderer) are retried with backoff up to `max_attempts`."""
    network = await backend.network_for(user)
    retry = replace(backend.retry, max_attempts=body.max_attempts) if body.max_attempts else None
    result = await network.contract(name).submit(body.function, *body.args, transient=body.transient_bytes(),
                                                 retry=retry)
    return SubmitResponse(tx_id=result.tx_id, block=result.block, validation_code=result.code_name,
                          result=text_or_none(result.payload), result_base64=b64(result.payload),
                          attempts=result.attempts)


@router.post("/chaincodes/{name}/evaluate", tags=["chaincode"], response_model=EvaluateResponse)
async def evaluate(name: ChaincodeName, body: EvaluateBody, backend: Backend,
                   user: Annotated[User, Depends(require("evaluate"))]) -> EvaluateResponse:
    """Run a query on the org's peer as the user; nothing is ordered."""
    network = await backend.network_for(user)
    payload = await network.contract(name).evaluate(body.function, *body.args, transient=body.transient_bytes())
    return EvaluateResponse(result=text_or_none(payload), result_base64=b64(payload))


# ---------- offline signing: prepare -> endorse -> submit ----------

@router.post("/transactions/prepare", tags=["offline signing"], response_model=PrepareResponse, status_code=201,
             responses=follow(201, endorse=("post", "/v1/transactions/{tx_id}/endorse", {"tx_id": RESPONSE_TX_ID}),
                              transaction=TRANSACTION))
async def prepare(body: PrepareBody, backend: Backend,
                  user: Annotated[User, Depends(require("submit"))]) -> PrepareResponse:
    """Build a proposal whose creator is the user's registered certificate; the user signs the returned bytes."""
    if user.certificate_pem is None:
        raise Problem(409, "no-certificate", "No registered certificate",
                      f"user {user.name} has no certificate yet; an org admin registers it with "
                      f"POST /v1/users/{user.name}/certificate")
    unsigned = offline.unsigned_proposal(user.msp_id, backend.certificate_der(user), backend.channel_id,
                                         body.chaincode, body.function, body.args, body.transient_bytes())
    backend.add_pending(user, unsigned.tx_id, unsigned.proposal_bytes)
    return PrepareResponse(tx_id=unsigned.tx_id, proposal=b64(unsigned.proposal_bytes),
                           expires_in_s=backend.config.pending_ttl_s)


def _expect_step(state: str, expected: str, title: str, detail: str) -> None:
    """Offline signing goes prepare -> endorse -> submit; a request for another step is a 409 saying what to do."""
    if state != expected:
        raise Problem(409, "wrong-step", title, detail)


def _verified_signature(backend, user: User, body: SignatureBody, signed: bytes, what: str) -> bytes:
    """The user's signature from the body, checked against `signed` with the user's registered certificate."""
    signature = decode64(body.signature)
    backend.check_signature(user, signed, signature, what)
    return signature


@router.post("/transactions/{tx_id}/endorse", tags=["offline signing"], response_model=EndorseResponse,
             responses=follow(200, submit=("post", "/v1/transactions/{tx_id}/submit", {"tx_id": RESPONSE_TX_ID}),
                              transaction=TRANSACTION))
async def endorse(tx_id: TxId, body: SignatureBody, backend: Backend,
                  user: Annotated[User, Depends(require("submit"))]) -> EndorseResponse:
    """With the user's signature over the proposal, collect endorsements; the user signs the returned payload."""
    pending = backend.get_pending(user, tx_id)
    async with pending.lock:
        _expect_step(pending.state, "prepared", "Already endorsed",
                     f"transaction {tx_id} is endorsed: POST the payload signature to /v1/transactions/{tx_id}/submit")
        signature = _verified_signature(backend, user, body, pending.proposal_bytes, "proposal")
        endorsed = await backend.network.endorse_signed(offline.signed_proposal(pending.proposal_bytes, signature))
        pending.state, pending.payload, pending.result = "endorsed", endorsed.prepared_payload, endorsed.result.payload
    return EndorseResponse(tx_id=tx_id, payload=b64(pending.payload), result=text_or_none(pending.result),
                           result_base64=b64(pending.result))


@router.post("/transactions/{tx_id}/submit", tags=["offline signing"], response_model=SubmitResponse,
             responses=follow(200, transaction=TRANSACTION))
async def submit_signed(tx_id: TxId, body: SignatureBody, backend: Backend,
                        user: Annotated[User, Depends(require("submit"))]) -> SubmitResponse:
    """With the user's signature over the payload, order the transaction and wait for its commit."""
    pending = backend.get_pending(user, tx_id)
    async with pending.lock:
        _expect_step(pending.state, "endorsed", "Not endorsed yet",
                     f"transaction {tx_id} must be endorsed first: POST the proposal signature to "
                     f"/v1/transactions/{tx_id}/endorse")
        signature = _verified_signature(backend, user, body, pending.payload, "transaction payload")
        try:
            status = await backend.network.submit_signed(offline.envelope(pending.payload, signature), tx_id)
        except (errors.TransactionInvalid, errors.CommitStatusUnknown):
            backend.pending.pop(tx_id, None)  # ordered: this txid can never be submitted again
            raise
        backend.pending.pop(tx_id, None)
    return SubmitResponse(tx_id=tx_id, block=status.block, validation_code=status.code_name,
                          result=text_or_none(pending.result), result_base64=b64(pending.result), attempts=1)


# ---------- ledger ----------

@router.api_route("/transactions/prepare", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def prepare_other_methods() -> None:
    """`prepare` is a step, not a transaction id: without this, a GET would match /transactions/{tx_id} and be a
    422 for its id, where the answer is that only POST is allowed here."""
    raise Problem(405, "method-not-allowed", "Method not allowed",
                  "POST /v1/transactions/prepare builds a proposal; GET /v1/transactions/{tx_id} reads one",
                  headers={"Allow": "POST"})


@router.get("/transactions/{tx_id}", tags=["ledger"], response_model=TransactionResponse)
async def transaction(tx_id: TxId, backend: Backend, user: Annotated[User, Depends(require("ledger"))],
                      wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for the commit")] = 0,
                      ) -> TransactionResponse:
    """A transaction's validation code and block once committed (or the step of your offline transaction)."""
    pending = backend.pending.get(tx_id)
    if pending is not None and pending.user == user.name:
        return TransactionResponse(tx_id=tx_id, status=pending.state)
    try:
        status = await backend.network.commit_status(tx_id, timeout=max(wait, 0.5))
    except errors.DeadlineExceeded:
        raise Problem(404, "unknown-transaction", "Transaction not committed",
                      f"transaction {tx_id} is not in the ledger: unknown, or not committed yet (add ?wait=SECONDS "
                      "to wait for it)") from None
    return TransactionResponse(tx_id=tx_id, status="committed", validation_code=status.code_name,
                               valid=status.valid, block=status.block)


@router.get("/chain", tags=["ledger"], response_model=ChainResponse)
async def chain(backend: Backend, user: Annotated[User, Depends(require("ledger"))]) -> ChainResponse:
    """Height and hashes of the channel's chain on the org's peer."""
    info = await backend.network.channel_info(timeout=10)
    return ChainResponse(channel=info.channel_id, height=info.height, current_block_hash=info.current_block_hash.hex(),
                         state_hash=info.state_hash.hex(), peer=backend.peer_name)


@router.get("/blocks/{number}", tags=["ledger"])
async def block(number: Annotated[int, Path(ge=0, le=2**63 - 1)], backend: Backend,
                user: Annotated[User, Depends(require("ledger"))]) -> dict:
    """One committed block: header hashes, and each transaction's id, creator, chaincode call and code."""
    info = await backend.network.channel_info(timeout=10)
    if number >= info.height:
        raise Problem(404, "unknown-block", "No such block",
                      f"block {number} is not committed; the chain has {info.height} blocks (0..{info.height - 1})")

    async def first():
        async with aclosing(backend.network.blocks(number, number + 1, resume=False)) as blocks:
            async for found in blocks:
                return found
        return None

    try:
        found = await asyncio.wait_for(first(), 10)
    except TimeoutError:
        raise errors.DeadlineExceeded(grpc.StatusCode.DEADLINE_EXCEEDED, "block did not arrive within 10s",
                                      "deliver") from None
    if found is None:
        raise Problem(404, "unknown-block", "No such block", f"block {number} is not committed")
    return block_json(found)


# ---------- users ----------

@router.get("/users/me", tags=["users"], response_model=UserResponse)
async def me(user: Annotated[User, Depends(authenticated)]) -> UserResponse:
    """Who the token belongs to, what it may do, and its certificate's fingerprint (what a market registers)."""
    return _user_response(user)


@router.post("/users/{name}/certificate", tags=["users"], response_model=UserResponse)
async def register(name: UserName, body: CertificateBody, backend: Backend,
                   admin: Annotated[User, Depends(require("admin"))]) -> UserResponse:
    """(Admin) register the certificate of a user who keeps their own key: one issued by the org CA, or a CSR
    for the org CA to sign. A custodial key the service held for the user is deleted."""
    try:
        await asyncio.to_thread(
            register_certificate, backend.users, backend.wallet, backend.config.crypto_dir, backend.config.msp_id,
            name, certificate_pem=body.certificate.encode() if body.certificate else None,
            csr_pem=body.csr.encode() if body.csr else None)
    except UnknownUser as exc:
        raise Problem(404, "unknown-user", "No such user", str(exc)) from None
    except UserError as exc:
        raise Problem(400, "bad-certificate", "Certificate not accepted", str(exc)) from None
    user = backend.users.get(name)
    assert user is not None
    return _user_response(user)


# ---------- probes ----------

@probes.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """The process is up (it says nothing about the network)."""
    return Health(status="ok")


@probes.get("/readyz", response_model=Health, responses={503: {"description": "the peer does not answer", **_PROBLEM}})
async def readyz(backend: Backend) -> Health | JSONResponse:
    """Ready when the org's peer answers."""
    try:
        info = await backend.network.channel_info(timeout=2)
    except errors.PermissionDenied:
        return Health(status="ready", peer=backend.peer_name)  # it answered; the service identity is no admin
    except (errors.Unavailable, errors.DeadlineExceeded) as exc:
        return unavailable(f"peer {backend.peer_name} ({backend.peer_address}) does not answer: {exc}").response()
    return Health(status="ready", peer=backend.peer_name, height=info.height)
