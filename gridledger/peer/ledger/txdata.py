"""What the ledger needs from a block's envelopes: each transaction's id, validation code and (if VALID) writes.

The block carries its validation codes, so the ledger derives everything else from the block itself; this keeps
commit and crash recovery on one code path (replaying a block from the files needs no validator).
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.envelope import EnvelopeError, open_stored, response_of, transaction_of
from gridledger.v1 import block_pb2, transaction_pb2

VALID = block_pb2.VALID


@dataclass(frozen=True, slots=True)
class Write:
    namespace: str
    key: str
    is_delete: bool
    value: bytes


@dataclass(frozen=True, slots=True)
class TxEntry:
    tx_num: int
    tx_id: str | None  # None when the payload header cannot be read (an invalid transaction)
    code: int
    writes: tuple[Write, ...]


def read_block(block: block_pb2.Block) -> list[TxEntry]:
    """One entry per envelope. Raises ValueError if the codes do not match the envelopes or a VALID tx is malformed."""
    envelopes = block.data.envelopes
    codes = block.metadata.validation_codes
    if len(codes) != len(envelopes):
        raise ValueError(
            f"block {block.header.number} has {len(envelopes)} envelopes but {len(codes)} validation codes"
        )
    number = block.header.number
    pairs = enumerate(zip(envelopes, codes, strict=True))
    return [_read_tx(number, tx_num, raw, code) for tx_num, (raw, code) in pairs]


def _read_tx(block_num: int, tx_num: int, raw: bytes, code: int) -> TxEntry:
    try:
        opened = open_stored(raw)
    except EnvelopeError as exc:
        if code == VALID:
            raise ValueError(f"block {block_num} tx {tx_num} is marked VALID but its payload is malformed") from exc
        return TxEntry(tx_num, None, code, ())
    header = opened.header
    tx_id = header.tx_id or None
    if code != VALID or header.type != transaction_pb2.ENDORSER_TRANSACTION:
        return TxEntry(tx_num, tx_id, code, ())
    try:
        results = response_of(transaction_of(opened.payload)).results
    except EnvelopeError as exc:
        raise ValueError(f"block {block_num} tx {tx_num} is marked VALID but its transaction is malformed") from exc
    writes = tuple(
        Write(ns.namespace, w.key, w.is_delete, b"" if w.is_delete else w.value)
        for ns in results.ns_rwset
        for w in ns.writes
    )
    return TxEntry(tx_num, tx_id, code, writes)

