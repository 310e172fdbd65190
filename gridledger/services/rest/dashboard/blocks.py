"""Committed blocks as the dashboard reads them: each transaction's validation code, and for endorsed transactions
the chaincode, function and arguments it invoked, the response its endorsers signed and its events.

The feed follows full blocks rather than the filtered stream because the filtered stream names no chaincode or
function for a transaction without an event, and neither the DSM nor the OPF contract sets events: their days and
iterations are recognised by the calls that move them (docs/dashboard.md). The endorsed response is what the
contract returned (an OPF close carries its residuals), so many panels need no query at all.

Nothing here checks signatures: the peer validated the block before it delivered it, and the dashboard only counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.envelope import EnvelopeError, invocation_of, open_stored, response_of, transaction_of
from gridledger.sdk.events import ChaincodeEvent, code_name
from gridledger.v1 import block_pb2, transaction_pb2


@dataclass(frozen=True)
class CommittedTx:
    code: str  # validation code name, e.g. VALID, MVCC_READ_CONFLICT
    chaincode: str  # empty for a config transaction or an envelope that does not decode
    function: str
    args: tuple[bytes, ...]
    response: bytes  # the chaincode's answer as endorsed
    events: tuple[ChaincodeEvent, ...]  # only for VALID transactions, as the filtered stream delivers them

    @property
    def valid(self) -> bool:
        return self.code == "VALID"

    def text_args(self) -> list[str]:
        """The arguments as text (every shipped contract takes JSON or plain strings); undecodable bytes become
        replacement characters rather than an error."""
        return [arg.decode("utf-8", "replace") for arg in self.args]


@dataclass(frozen=True)
class CommittedBlock:
    number: int
    transactions: tuple[CommittedTx, ...]


def decode_block(block: block_pb2.Block) -> CommittedBlock:
    codes = list(block.metadata.validation_codes)
    number = block.header.number
    return CommittedBlock(number, tuple(
        _transaction(raw, code_name(codes[i]) if i < len(codes) else "NOT_VALIDATED", number)
        for i, raw in enumerate(block.data.envelopes)))


def _transaction(raw: bytes, code: str, number: int) -> CommittedTx:
    try:
        opened = open_stored(raw)
        if opened.header.type != transaction_pb2.ENDORSER_TRANSACTION:
            return CommittedTx(code, "", "", (), b"", ())
        transaction = transaction_of(opened.payload)
        invocation = invocation_of(transaction)
        endorsed = response_of(transaction)
    except EnvelopeError:  # counted under its code, but it invoked nothing the dashboard can name
        return CommittedTx(code, "", "", (), b"", ())
    tx_id = opened.header.tx_id
    events = tuple(ChaincodeEvent(e.chaincode, e.name, e.payload, e.tx_id or tx_id, number)
                   for e in endorsed.events) if code == "VALID" else ()
    return CommittedTx(code, invocation.chaincode, invocation.function, tuple(invocation.args),
                       endorsed.response.payload, events)
