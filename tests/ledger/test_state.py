"""World state: versions, deletes, key-ordered ranges, snapshots and history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.peer.ledger import Ledger, VersionedValue
from tests.ledger.chain import MVCC, VALID, Chain, envelope


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger") as opened:
        yield opened


def test_values_carry_the_writing_transaction_version(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", "x", b"1")]), ("b", [("kv", "y", b"2"), ("other", "x", b"3")])))
    assert ledger.get_state("kv", "x") == VersionedValue(b"1", 0, 0)
    assert ledger.get_state("kv", "y") == VersionedValue(b"2", 0, 1)
    assert ledger.get_state("other", "x") == VersionedValue(b"3", 0, 1)
    assert ledger.get_state("kv", "missing") is None
    ledger.commit(chain.tx_block(("c", [("kv", "x", b"new")])))
    assert ledger.get_state("kv", "x") == VersionedValue(b"new", 1, 0)


def test_empty_value_is_not_a_delete(ledger: Ledger) -> None:
    ledger.commit(Chain().tx_block(("a", [("kv", "x", b"")])))
    assert ledger.get_state("kv", "x") == VersionedValue(b"", 0, 0)


def test_delete_removes_key(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", "x", b"1"), ("kv", "y", b"2")])))
    ledger.commit(chain.tx_block(("b", [("kv", "x", None)])))
    assert ledger.get_state("kv", "x") is None
    assert ledger.get_state("kv", "y") == VersionedValue(b"2", 0, 0)
    with ledger.snapshot() as snapshot:
        assert [k for k, _ in snapshot.range("kv", "", "")] == ["y"]


def test_invalid_transactions_write_nothing(ledger: Ledger) -> None:
    block = Chain().next([envelope("a", [("kv", "x", b"1")]), envelope("b", [("kv", "y", b"2")])], [MVCC, VALID])
    ledger.commit(block)
    assert ledger.get_state("kv", "x") is None
    assert ledger.get_state("kv", "y") == VersionedValue(b"2", 0, 1)


def test_later_write_in_block_wins(ledger: Ledger) -> None:
    ledger.commit(
        Chain().tx_block(
            ("a", [("kv", "x", b"first"), ("kv", "x", b"second")]),
            ("b", [("kv", "y", b"1")]),
            ("c", [("kv", "y", None), ("kv", "x", b"third")]),
        )
    )
    assert ledger.get_state("kv", "x") == VersionedValue(b"third", 0, 2)
    assert ledger.get_state("kv", "y") is None


KEYS = ["", "a", "a\x00", "a\x00b", "a\x00b\x00", "a\x01", "ab", "b", "z\x00", "é", "€", "日本", "\U0001f600"]


def test_range_is_in_key_order_and_stays_in_its_namespace(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", k, k.encode() or b"empty") for k in reversed(KEYS)])))
    ledger.commit(chain.tx_block(("b", [("kv2", "a", b"leak"), ("k", "zz", b"leak"), ("", "a", b"leak")])))
    with ledger.snapshot() as snapshot:
        assert [k for k, _ in snapshot.range("kv", "", "")] == sorted(KEYS)
        assert [k for k, _ in snapshot.range("kv2", "", "")] == ["a"]
        assert [k for k, _ in snapshot.range("k", "", "")] == ["zz"]
        assert [k for k, _ in snapshot.range("", "", "")] == ["a"]
        assert [k for k, _ in snapshot.range("missing", "", "")] == []
        values = dict(snapshot.range("kv", "", ""))
        assert values["a\x00b"] == VersionedValue(b"a\x00b", 0, 0)


def test_range_bounds_are_half_open(ledger: Ledger) -> None:
    ledger.commit(Chain().tx_block(("a", [("kv", k, b"v") for k in KEYS])))
    with ledger.snapshot() as snapshot:
        assert [k for k, _ in snapshot.range("kv", "a", "b")] == ["a", "a\x00", "a\x00b", "a\x00b\x00", "a\x01", "ab"]
        # a composite-key style partial query: everything under the "a\x00" prefix
        assert [k for k, _ in snapshot.range("kv", "a\x00", "a\x01")] == ["a\x00", "a\x00b", "a\x00b\x00"]
        assert [k for k, _ in snapshot.range("kv", "é", "")] == ["é", "€", "日本", "\U0001f600"]
        assert list(snapshot.range("kv", "b", "b")) == []
        assert list(snapshot.range("kv", "z", "a")) == []


def test_get_many_preserves_order(ledger: Ledger) -> None:
    ledger.commit(Chain().tx_block(("a", [("kv", "x", b"1"), ("kv", "y", b"2"), ("kv2", "z", b"3")])))
    with ledger.snapshot() as snapshot:
        assert snapshot.get_many("kv", ["y", "nope", "x", "z"]) == [
            VersionedValue(b"2", 0, 0),
            None,
            VersionedValue(b"1", 0, 0),
            None,
        ]
        assert snapshot.get_many("kv", []) == []


def test_snapshot_does_not_see_later_commits(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", "x", b"old"), ("kv", "y", b"y")])))
    snapshot = ledger.snapshot()
    try:
        ledger.commit(chain.tx_block(("b", [("kv", "x", b"new"), ("kv", "y", None), ("kv", "z", b"z")])))
        assert snapshot.height == 1
        assert snapshot.get("kv", "x") == VersionedValue(b"old", 0, 0)
        assert snapshot.get("kv", "y") == VersionedValue(b"y", 0, 0)
        assert snapshot.get("kv", "z") is None
        assert [k for k, _ in snapshot.range("kv", "", "")] == ["x", "y"]
    finally:
        snapshot.close()
    assert ledger.get_state("kv", "x") == VersionedValue(b"new", 1, 0)
    with ledger.snapshot() as fresh:
        assert fresh.height == 2
        assert [k for k, _ in fresh.range("kv", "", "")] == ["x", "z"]


def test_a_snapshot_names_the_hash_of_the_last_block_it_reflects(ledger: Ledger) -> None:
    """The seed chaincode reads as stub.block_hash: the committed tip's header hash, fixed inside the view."""
    with ledger.snapshot() as empty:
        assert (empty.height, empty.tip_hash) == (0, b"")
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", "x", b"1")])))
    first = ledger.last_block_hash
    with ledger.snapshot() as snapshot:
        ledger.commit(chain.tx_block(("b", [("kv", "x", b"2")])))
        assert snapshot.tip_hash == first != ledger.last_block_hash


def test_history_is_chronological_per_key(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.tx_block(("a", [("kv", "x", b"1")]), ("b", [("kv", "x\x00", b"other key")])))
    ledger.commit(
        chain.next([envelope("c", [("kv", "x", b"skipped")]), envelope("d", [("kv", "x", None)])], [MVCC, VALID])
    )
    for n in range(2, 260):  # past 255 so a little-endian or text encoding would sort wrongly
        ledger.commit(chain.tx_block((f"e{n}", [("kv", "x", b"%d" % n)] if n in (2, 256) else [])))
    assert ledger.get_history("kv", "x") == [(0, 0, False), (1, 1, True), (2, 0, False), (256, 0, False)]
    assert ledger.get_history("kv", "x\x00") == [(0, 1, False)]
    assert ledger.get_history("kv2", "x") == []
    assert ledger.get_history("kv", "") == []
