"""Builds test blocks: real envelopes down to the read-write set, with dummy signatures (the ledger checks none)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from gridledger.common import hashing
from gridledger.peer.ledger import Ledger
from gridledger.v1 import block_pb2, rwset_pb2, transaction_pb2

VALID = block_pb2.VALID
MVCC = block_pb2.MVCC_READ_CONFLICT

# (namespace, key, value); value None means delete.
WriteSpec = tuple[str, str, bytes | None]


def envelope(
    tx_id: str, writes: Sequence[WriteSpec] = (), *, kind: int = transaction_pb2.ENDORSER_TRANSACTION
) -> bytes:
    """A serialized Envelope whose writes are grouped per namespace in order of first appearance."""
    per_namespace: dict[str, rwset_pb2.NsReadWriteSet] = {}
    for namespace, key, value in writes:
        ns = per_namespace.setdefault(namespace, rwset_pb2.NsReadWriteSet(namespace=namespace))
        if value is None:
            ns.writes.add(key=key, is_delete=True)
        else:
            ns.writes.add(key=key, value=value)
    response_payload = transaction_pb2.ProposalResponsePayload(
        proposal_hash=b"\x00" * 32, results=rwset_pb2.TxReadWriteSet(ns_rwset=list(per_namespace.values()))
    )
    transaction = transaction_pb2.Transaction(
        invocation=b"invoke", proposal_response_payload=response_payload.SerializeToString()
    )
    header = transaction_pb2.Header(type=kind, channel_id="ch", tx_id=tx_id, nonce=b"n")
    payload = transaction_pb2.Payload(header=header.SerializeToString(), data=transaction.SerializeToString())
    return transaction_pb2.Envelope(payload=payload.SerializeToString(), signature=b"sig").SerializeToString()


def make_block(
    number: int, previous_hash: bytes, envelopes: Sequence[bytes], codes: Sequence[int] | None = None
) -> block_pb2.Block:
    """A block with a correct data hash; every transaction VALID unless codes say otherwise."""
    block = block_pb2.Block()
    block.header.number = number
    block.header.previous_hash = previous_hash
    block.header.data_hash = hashing.data_hash(envelopes)
    block.data.envelopes.extend(envelopes)
    block.metadata.validation_codes.extend([VALID] * len(envelopes) if codes is None else codes)
    return block


class Chain:
    """Hands out consecutive blocks, each linked to the previous one."""

    def __init__(self, height: int = 0, last_hash: bytes = b"") -> None:
        self.height = height
        self.last_hash = last_hash

    def next(self, envelopes: Sequence[bytes], codes: Sequence[int] | None = None) -> block_pb2.Block:
        block = make_block(self.height, self.last_hash, envelopes, codes)
        self.height += 1
        self.last_hash = hashing.header_hash(block.header)
        return block

    def tx_block(self, *txs: tuple[str, Sequence[WriteSpec]]) -> block_pb2.Block:
        """A block of VALID transactions given as (tx_id, writes)."""
        return self.next([envelope(tx_id, writes) for tx_id, writes in txs])


def dump_state(ledger: Ledger, namespaces: Iterable[str]) -> dict[tuple[str, str], tuple[bytes, int, int]]:
    """Every live key of the given namespaces with its value and version, read from one snapshot."""
    with ledger.snapshot() as snapshot:
        return {
            (namespace, key): tuple(value)
            for namespace in namespaces
            for key, value in snapshot.range(namespace, "", "")
        }


def rebuild(blocks: Iterable[block_pb2.Block], path: Path) -> Ledger:
    """A fresh ledger fed the given blocks: the reference that recovery results are compared with."""
    ledger = Ledger(path)
    for block in blocks:
        ledger.commit(block)
    return ledger


def fingerprint(ledger: Ledger, namespaces: Iterable[str]) -> tuple[object, ...]:
    """Everything observable about a ledger's chain and state, for comparing two ledgers (or one across reopens)."""
    return (
        ledger.height,
        ledger.last_block_hash,
        ledger.state_hash,
        [ledger.state_hash_at(n) for n in range(ledger.height)],
        [block.SerializeToString() for block in ledger.iter_blocks()],
        dump_state(ledger, namespaces),
    )
