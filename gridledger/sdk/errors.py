"""Typed errors of the SDK: one class per validation code and per gRPC status that a caller may act on.

Every error derives from GridLedgerError and says whether retrying the whole transaction (a fresh proposal) can
succeed (`retryable`) and how many attempts `submit` made before giving up (`attempts`). Three families:
- ChaincodeError: the chaincode (or an endorser) refused the proposal; nothing was ordered.
- GatewayStatusError and subclasses: a gRPC status from the gateway peer (unavailable endorser or orderer, denied,
  bad request, ...), with the step (`stage`) at which it happened.
- TransactionInvalid and subclasses: the transaction was ordered but validation gave it a code other than VALID.
"""

from __future__ import annotations

import grpc

from gridledger.v1 import block_pb2


class GridLedgerError(Exception):
    """Base of every SDK error."""

    retryable = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.attempts = 1


class ChaincodeError(GridLedgerError):
    """The chaincode (or an endorser) refused the proposal; `status` is its response status (400..599)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"chaincode returned {status}: {message}")
        self.status = status
        self.message = message


# ---------- gRPC status from the gateway ----------

class GatewayStatusError(GridLedgerError):
    """The gateway answered with a gRPC status other than OK. `stage`: evaluate, endorse, submit, commit, deliver."""

    def __init__(self, code: grpc.StatusCode, message: str, stage: str = "") -> None:
        where = f" ({stage})" if stage else ""
        super().__init__(f"{code.name}{where}: {message}")
        self.code = code
        self.details = message
        self.stage = stage


class Unavailable(GatewayStatusError):
    """The peer, an endorser it needs or the ordering service cannot be reached now: try again later."""

    retryable = True


class EndorserUnavailable(Unavailable):
    """No endorser (or not enough of them to satisfy the policy) answered; nothing was ordered."""


class OrdererUnavailable(Unavailable):
    """The ordering service did not accept the transaction."""


class DeadlineExceeded(GatewayStatusError):
    """The call took longer than its timeout."""


class InvalidArgument(GatewayStatusError):
    """The request was malformed (the gateway, endorser or orderer said exactly why)."""


class NotFound(GatewayStatusError):
    """No such channel or chaincode (e.g. the chaincode is not committed)."""


class AlreadyExists(GatewayStatusError):
    """The transaction id was already committed."""


class PermissionDenied(GatewayStatusError):
    """The identity may not do this (channel ACL, admin-only call, orderer writers policy)."""


class Unauthenticated(GatewayStatusError):
    """The identity is not trusted by the channel or its signature does not verify."""


class FailedPrecondition(GatewayStatusError):
    """The channel's state does not allow the call (e.g. an endorsement policy that cannot be parsed)."""


class Aborted(GatewayStatusError):
    """Endorsers returned different results, usually because one lags behind; a new proposal may agree."""

    retryable = True


_STATUS_CLASSES: dict[grpc.StatusCode, type[GatewayStatusError]] = {
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.ABORTED: Aborted,
}
_UNAVAILABLE_BY_STAGE = {"endorse": EndorserUnavailable, "evaluate": EndorserUnavailable,
                         "submit": OrdererUnavailable}


def status_error(code: grpc.StatusCode, message: str, stage: str = "") -> GatewayStatusError:
    """The typed error for a gRPC status (UNAVAILABLE is told apart by the step it happened in)."""
    if code == grpc.StatusCode.UNAVAILABLE and stage in _UNAVAILABLE_BY_STAGE:
        return _UNAVAILABLE_BY_STAGE[stage](code, message, stage)
    return _STATUS_CLASSES.get(code, GatewayStatusError)(code, message, stage)


def from_rpc_error(exc: grpc.aio.AioRpcError | grpc.RpcError, stage: str = "") -> GatewayStatusError:
    code = exc.code() if callable(getattr(exc, "code", None)) else grpc.StatusCode.UNKNOWN
    details = exc.details() if callable(getattr(exc, "details", None)) else str(exc)
    return status_error(code, details or "", stage)


class CommitStatusUnknown(GridLedgerError):
    """The transaction was handed to the ordering service, but its commit status could not be learned. It may
    still commit: look it up with `Network.commit_status(tx_id)` before submitting it again."""

    def __init__(self, tx_id: str, cause: GridLedgerError) -> None:
        super().__init__(f"transaction {tx_id} was submitted but its commit status is unknown: {cause}")
        self.tx_id = tx_id
        self.cause = cause


# ---------- validation codes ----------

class TransactionInvalid(GridLedgerError):
    """The transaction was ordered but validation marked it invalid; `code` is the ValidationCode number."""

    def __init__(self, tx_id: str, code: int, block: int) -> None:
        self.code_name = block_pb2.ValidationCode.Name(code) if code in block_pb2.ValidationCode.values() \
            else f"CODE_{code}"
        super().__init__(f"transaction {tx_id} is {self.code_name} in block {block}")
        self.tx_id, self.code, self.block = tx_id, code, block


class MvccReadConflict(TransactionInvalid):
    """A key the transaction read changed before it committed (a hot key): a fresh proposal sees the new value."""

    retryable = True


class PhantomReadConflict(TransactionInvalid):
    """A range the transaction read gained or lost keys before it committed: a fresh proposal re-reads it."""

    retryable = True


class EndorsementPolicyFailure(TransactionInvalid):
    """The endorsements did not satisfy the chaincode's endorsement policy."""


class BadSignature(TransactionInvalid):
    """A creator or endorser signature did not verify."""


class BadCreator(TransactionInvalid):
    """The creator's certificate was not trusted at validation time (unknown org, expired, revoked)."""


class DuplicateTxId(TransactionInvalid):
    """A transaction with the same id was committed before."""


class BadPayload(TransactionInvalid):
    """The transaction could not be decoded or did not match its proposal."""


class ExpiredChaincode(TransactionInvalid):
    """The chaincode definition changed between endorsement and validation (not retried: the new definition may
    behave differently, so the caller decides)."""


class IllegalWriteset(TransactionInvalid):
    """The transaction wrote outside the namespaces it may write."""


_INVALID_CLASSES: dict[int, type[TransactionInvalid]] = {
    block_pb2.MVCC_READ_CONFLICT: MvccReadConflict,
    block_pb2.PHANTOM_READ_CONFLICT: PhantomReadConflict,
    block_pb2.ENDORSEMENT_POLICY_FAILURE: EndorsementPolicyFailure,
    block_pb2.BAD_SIGNATURE: BadSignature,
    block_pb2.BAD_CREATOR: BadCreator,
    block_pb2.DUPLICATE_TXID: DuplicateTxId,
    block_pb2.BAD_PAYLOAD: BadPayload,
    block_pb2.EXPIRED_CHAINCODE: ExpiredChaincode,
    block_pb2.ILLEGAL_WRITESET: IllegalWriteset,
}


def transaction_invalid(tx_id: str, code: int, block: int) -> TransactionInvalid:
    """The typed error for a validation code."""
    return _INVALID_CLASSES.get(code, TransactionInvalid)(tx_id, code, block)


# ---------- wallets ----------

class WalletError(GridLedgerError):
    """A wallet problem; the message says which identity and what to do."""


class IdentityNotFound(WalletError):
    pass


class WrongPassphrase(WalletError):
    """The passphrase does not decrypt the identity's key (or its file was altered)."""
