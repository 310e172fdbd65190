"""What the SDK's event streams yield: commit statuses, per-block transaction statuses and chaincode events."""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.v1 import block_pb2, peer_pb2


def code_name(code: int) -> str:
    return block_pb2.ValidationCode.Name(code) if code in block_pb2.ValidationCode.values() else f"CODE_{code}"


class _ValidationOutcome:
    """A transaction's validation code, readable by name; shared by the statuses below."""

    code: int

    @property
    def code_name(self) -> str:
        return code_name(self.code)

    @property
    def valid(self) -> bool:
        return self.code == block_pb2.VALID


@dataclass(frozen=True)
class CommitStatus(_ValidationOutcome):
    tx_id: str
    code: int
    block: int


@dataclass(frozen=True)
class ChaincodeEvent:
    """An event a chaincode set with `stub.set_event(name, payload)`, delivered once its transaction committed
    VALID."""

    chaincode: str
    name: str
    payload: bytes
    tx_id: str
    block: int


@dataclass(frozen=True)
class TransactionStatus(_ValidationOutcome):
    tx_id: str
    code: int
    events: tuple[ChaincodeEvent, ...]


@dataclass(frozen=True)
class BlockEvent:
    """A committed block as the filtered deliver stream reports it: each transaction's code and events."""

    number: int
    transactions: tuple[TransactionStatus, ...]


def block_event(block: peer_pb2.FilteredBlock) -> BlockEvent:
    transactions = tuple(
        TransactionStatus(tx.tx_id, tx.code, tuple(
            ChaincodeEvent(event.chaincode, event.name, event.payload, event.tx_id or tx.tx_id, block.number)
            for event in tx.events))
        for tx in block.transactions)
    return BlockEvent(block.number, transactions)
