"""Request and response bodies of the REST API. Requests are strict (unknown fields, wrong types, oversized
values and invalid base64 are a 422 naming the field); responses are what the OpenAPI document at /docs shows."""

from __future__ import annotations

import base64
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

CHAINCODE_NAME = r"^_?[a-z][a-z0-9_]{0,63}$"
FUNCTION_NAME = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$"
TX_ID = r"^[0-9a-f]{64}$"
MAX_ARG_CHARS = 64 * 1024


def decode64(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)


# Base64 as the standard alphabet with its padding, whole groups of four: in the patterns, so the schema refuses
# exactly what the service refuses and a client generated from it never sends what cannot decode.
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
Base64 = Annotated[str, Field(max_length=2 * 1024 * 1024, pattern=BASE64)]
# 64 bytes are 86 base64 digits and `==`; the last digit carries 2 bits, the 4 after them zero.
SIGNATURE_BASE64 = r"^[A-Za-z0-9+/]{85}[AQgw]==$"
Signature = Annotated[str, Field(pattern=SIGNATURE_BASE64, description="base64 of a 64-byte Ed25519 signature")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Invocation(_Strict):
    function: str = Field(pattern=FUNCTION_NAME, description="the chaincode function")
    args: list[Annotated[str, Field(max_length=MAX_ARG_CHARS)]] = Field(
        default_factory=list, max_length=64, description="arguments as text (numbers and JSON as their text)")
    transient: dict[Annotated[str, Field(min_length=1, max_length=128)], Base64] = Field(
        default_factory=dict, max_length=32, description="private inputs (base64) that never reach the ledger")

    def transient_bytes(self) -> dict[str, bytes]:
        return {key: decode64(value) for key, value in self.transient.items()}


class SubmitBody(Invocation):
    max_attempts: int | None = Field(default=None, ge=1, le=10, description="attempts for retryable failures "
                                     "(MVCC/phantom conflicts, unavailable endorser or orderer); default: the "
                                     "service's setting; 1 disables retries")


class EvaluateBody(Invocation):
    pass


class PrepareBody(Invocation):
    chaincode: str = Field(pattern=CHAINCODE_NAME)


class SignatureBody(_Strict):
    signature: Signature


class CertificateBody(_Strict):
    certificate: str | None = Field(default=None, max_length=16 * 1024, description="PEM issued by the org CA")
    csr: str | None = Field(default=None, max_length=16 * 1024, description="PEM CSR for an Ed25519 key; the org "
                            "CA issues the certificate")


class SubmitResponse(BaseModel):
    tx_id: str
    block: int
    validation_code: str
    result: str | None = Field(description="the chaincode's result as UTF-8 text (null if it is not text)")
    result_base64: str
    attempts: int


class EvaluateResponse(BaseModel):
    result: str | None
    result_base64: str


class TransactionResponse(BaseModel):
    tx_id: str
    status: str = Field(description="committed, or prepared/endorsed for an offline transaction in progress")
    validation_code: str | None = None
    valid: bool | None = None
    block: int | None = None


class PrepareResponse(BaseModel):
    tx_id: str
    proposal: str = Field(description="base64 proposal bytes: sign them (Ed25519) and POST the signature to "
                          "/v1/transactions/{tx_id}/endorse")
    expires_in_s: float


class EndorseResponse(BaseModel):
    tx_id: str
    payload: str = Field(description="base64 transaction payload: sign it and POST the signature to "
                         "/v1/transactions/{tx_id}/submit")
    result: str | None
    result_base64: str


class ChainResponse(BaseModel):
    channel: str
    height: int
    current_block_hash: str
    state_hash: str
    peer: str


class UserResponse(BaseModel):
    user: str
    msp_id: str
    scopes: list[str]
    custodial: bool
    certificate: str | None
    fingerprint: str | None = Field(description="SHA-256 hex of the DER certificate: what a market's utility "
                                    "registers (POST /v1/markets/{id}/members); null without a certificate")


class Health(BaseModel):
    status: str
    peer: str | None = None
    height: int | None = None
