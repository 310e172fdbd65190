"""Block store and transaction index: what goes in comes back, and bad blocks change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.common import hashing
from gridledger.peer.ledger import Ledger
from gridledger.v1 import block_pb2, transaction_pb2
from tests.ledger.chain import MVCC, VALID, Chain, envelope, make_block


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(tmp_path / "ledger") as opened:
        yield opened


def test_empty_ledger(ledger: Ledger) -> None:
    assert ledger.height == 0
    assert ledger.last_block_hash == b""
    assert ledger.state_hash == bytes(32)
    assert ledger.get_block(0) is None
    assert list(ledger.iter_blocks()) == []
    assert ledger.get_tx_location("nope") is None
    assert not ledger.has_tx("nope")


def test_commit_and_read_blocks(ledger: Ledger) -> None:
    chain = Chain()
    blocks = [chain.tx_block((f"tx{n}", [("kv", f"k{n}", b"v")])) for n in range(5)]
    for block in blocks:
        ledger.commit(block)
    assert ledger.height == 5
    assert ledger.last_block_hash == hashing.header_hash(blocks[-1].header)
    assert ledger.get_block(3) == blocks[3]
    assert ledger.get_block(5) is None
    assert ledger.get_block(-1) is None
    assert list(ledger.iter_blocks()) == blocks
    assert list(ledger.iter_blocks(2)) == blocks[2:]


def test_txid_index_records_every_code(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.next([envelope("a"), envelope("b", [("kv", "k", b"v")])], [VALID, MVCC]))
    ledger.commit(chain.next([envelope("c")]))
    assert ledger.get_tx_location("a") == (0, 0, VALID)
    assert ledger.get_tx_location("b") == (0, 1, MVCC)
    assert ledger.get_tx_location("c") == (1, 0, VALID)
    assert ledger.has_tx("b")  # invalid transactions still count for duplicate detection
    assert not ledger.has_tx("d")


def test_duplicate_txid_keeps_first_location(ledger: Ledger) -> None:
    chain = Chain()
    ledger.commit(chain.next([envelope("dup")]))
    ledger.commit(chain.next([envelope("x"), envelope("dup")], [VALID, block_pb2.DUPLICATE_TXID]))
    assert ledger.get_tx_location("dup") == (0, 0, VALID)


def test_txid_that_prefixes_another_is_distinct(ledger: Ledger) -> None:
    ledger.commit(Chain().next([envelope("ab")]))
    assert ledger.has_tx("ab")
    assert not ledger.has_tx("a")
    assert ledger.get_tx_location("a") is None


def test_unreadable_invalid_envelope_is_stored_but_not_indexed(ledger: Ledger) -> None:
    ledger.commit(Chain().next([b"\xff\xff garbage", envelope("ok")], [block_pb2.BAD_PAYLOAD, VALID]))
    assert ledger.get_block(0).data.envelopes[0] == b"\xff\xff garbage"
    assert ledger.get_tx_location("ok") == (0, 1, VALID)


def _assert_untouched(ledger: Ledger, height: int, last_hash: bytes, state_hash: bytes) -> None:
    assert (ledger.height, ledger.last_block_hash, ledger.state_hash) == (height, last_hash, state_hash)
    assert ledger.get_block(height) is None


@pytest.mark.parametrize(
    "bad",
    [
        lambda chain: make_block(chain.height + 1, chain.last_hash, [envelope("t", [("kv", "bad", b"1")])]),
        lambda chain: make_block(chain.height - 1, chain.last_hash, [envelope("t", [("kv", "bad", b"1")])]),
        lambda chain: make_block(chain.height, b"\x01" * 32, [envelope("t", [("kv", "bad", b"1")])]),
        lambda chain: make_block(chain.height, chain.last_hash, [envelope("t", [("kv", "bad", b"1")])], []),
        lambda chain: make_block(chain.height, chain.last_hash, [envelope("t", [("kv", "bad", b"1")]), b"\xff"]),
    ],
    ids=["number-ahead", "number-behind", "previous-hash", "missing-codes", "malformed-valid-tx"],
)
def test_bad_block_rejected_without_partial_state(tmp_path: Path, bad) -> None:
    path = tmp_path / "ledger"
    chain = Chain()
    with Ledger(path) as ledger:
        ledger.commit(chain.tx_block(("t0", [("kv", "k", b"v")])))
        before = (ledger.height, ledger.last_block_hash, ledger.state_hash)
        with pytest.raises(ValueError):
            ledger.commit(bad(chain))
        _assert_untouched(ledger, *before)
        assert ledger.get_state("kv", "bad") is None
        assert not ledger.has_tx("t")
        ledger.commit(chain.tx_block(("t1", [("kv", "k", b"w")])))  # still usable
        assert ledger.height == 2
    with Ledger(path) as reopened:  # nothing of the rejected block reached the files either
        assert reopened.height == 2
        assert reopened.get_state("kv", "bad") is None


def test_genesis_must_have_empty_previous_hash(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        ledger.commit(make_block(0, b"\x00" * 32, []))
    ledger.commit(make_block(0, b"", []))
    assert ledger.height == 1


def test_config_envelope_has_no_writes(ledger: Ledger) -> None:
    ledger.commit(Chain().next([envelope("cfg", [("kv", "k", b"v")], kind=transaction_pb2.CONFIG)]))
    assert ledger.has_tx("cfg")
    assert ledger.get_state("kv", "k") is None


def test_block_files_roll_over(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    chain = Chain()
    blocks = [chain.tx_block((f"t{n}", [("kv", "k", bytes(300))])) for n in range(10)]
    with Ledger(path, max_file_size=1024) as ledger:
        for block in blocks:
            ledger.commit(block)
        assert list(ledger.iter_blocks()) == blocks
    files = sorted(p.name for p in (path / "blocks").iterdir())
    assert len(files) >= 4
    assert files[0] == "blockfile_000000"
    assert all((path / "blocks" / name).stat().st_size <= 1024 for name in files)
    with Ledger(path, max_file_size=1024) as reopened:
        assert list(reopened.iter_blocks()) == blocks
        reopened.commit(chain.tx_block(("more", [])))
        assert reopened.height == 11


def test_closed_ledger_refuses_commit(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger")
    ledger.close()
    ledger.close()  # idempotent
    with pytest.raises(RuntimeError):
        ledger.commit(Chain().next([]))
