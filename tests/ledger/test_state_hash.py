"""The cumulative state hash: equal for equal histories, different for any difference in the writes applied."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import pytest

from gridledger.peer.ledger import Ledger
from gridledger.v1 import block_pb2
from tests.ledger.chain import MVCC, VALID, Chain, WriteSpec, envelope


def _blocks(last_writes: Sequence[WriteSpec], last_codes: Sequence[int] = (VALID, VALID)) -> list[block_pb2.Block]:
    chain = Chain()
    return [
        chain.tx_block(("a", [("kv", "x", b"1"), ("kv", "y", b"2")])),
        chain.tx_block(("b", [("kv", "y", None)])),
        chain.next([envelope("c", [("kv", "z", b"3")]), envelope("d", last_writes)], last_codes),
    ]


def _hashes(path: Path, blocks: list[block_pb2.Block]) -> list[bytes]:
    with Ledger(path) as ledger:
        for block in blocks:
            ledger.commit(block)
        hashes = [ledger.state_hash_at(n) for n in range(len(blocks))]
        assert hashes[-1] == ledger.state_hash
        return hashes


def test_same_blocks_same_hashes(tmp_path: Path) -> None:
    first = _hashes(tmp_path / "a", _blocks([("kv", "w", b"4")]))
    second = _hashes(tmp_path / "b", _blocks([("kv", "w", b"4")]))
    assert first == second
    assert len(set(first)) == 3
    assert all(len(h) == 32 for h in first)


@pytest.mark.parametrize(
    ("writes", "codes"),
    [
        ([("kv", "w", b"5")], (VALID, VALID)),  # value
        ([("kv", "v", b"4")], (VALID, VALID)),  # key
        ([("kv2", "w", b"4")], (VALID, VALID)),  # namespace
        ([("kv", "w", None)], (VALID, VALID)),  # delete instead of write
        ([("kv", "w", b"4"), ("kv", "w", b"4")], (VALID, VALID)),  # written twice
        ([("kv", "w", b"4")], (VALID, MVCC)),  # the transaction is invalid
    ],
)
def test_any_difference_changes_the_hash(tmp_path: Path, writes: list[WriteSpec], codes: tuple[int, int]) -> None:
    reference = _hashes(tmp_path / "a", _blocks([("kv", "w", b"4")]))
    other = _hashes(tmp_path / "b", _blocks(writes, codes))
    assert other[:2] == reference[:2]
    assert other[2] != reference[2]


def test_hash_chains_from_zero(tmp_path: Path) -> None:
    with Ledger(tmp_path / "a") as ledger:
        ledger.commit(Chain().next([]))
        assert ledger.state_hash == hashlib.sha256(bytes(32) + hashlib.sha256(b"").digest()).digest()


def test_state_hash_at_unknown_block(tmp_path: Path) -> None:
    with Ledger(tmp_path / "a") as ledger:
        with pytest.raises(ValueError):
            ledger.state_hash_at(0)
        ledger.commit(Chain().next([]))
        ledger.state_hash_at(0)
        with pytest.raises(ValueError):
            ledger.state_hash_at(1)


def test_hash_covers_which_transaction_wrote(tmp_path: Path) -> None:
    """Same writes in the same order, but from another tx: the versions differ, so the hash must too."""
    together = Chain().next([envelope("c", [("kv", "z", b"3"), ("kv", "w", b"4")]), envelope("d")])
    split = Chain().next([envelope("c", [("kv", "z", b"3")]), envelope("d", [("kv", "w", b"4")])])
    assert _hashes(tmp_path / "a", [together]) != _hashes(tmp_path / "b", [split])
