"""Reopening and crash recovery: replay past the savepoint, cut torn tails, refuse what replay cannot explain."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest

from gridledger.peer.ledger import Ledger, LedgerCorruption, VersionedValue
from gridledger.peer.ledger.blockfiles import BlockFiles
from gridledger.v1 import block_pb2
from tests.ledger.chain import Chain, envelope, fingerprint, make_block, rebuild

NAMESPACES = ["kv", "kv2"]


def _fill(ledger: Ledger, chain: Chain, blocks: int) -> list[block_pb2.Block]:
    committed = []
    for n in range(chain.height, chain.height + blocks):
        block = chain.tx_block(
            (f"t{n}a", [("kv", f"k{n % 3}", b"%d" % n), ("kv2", "shared", b"%d" % n)]),
            (f"t{n}b", [("kv", f"k{(n + 1) % 3}", None)]),
        )
        ledger.commit(block)
        committed.append(block)
    return committed


def _record(block: block_pb2.Block) -> bytes:
    data = block.SerializeToString()
    return struct.pack(">II", len(data), zlib.crc32(data)) + data


def _last_file(path: Path) -> Path:
    return sorted((path / "blocks").iterdir())[-1]


def test_reopen_keeps_everything(tmp_path: Path) -> None:
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 6)
        before = fingerprint(ledger, NAMESPACES)
        history = ledger.get_history("kv", "k1")
        location = ledger.get_tx_location("t4b")
    with Ledger(path) as reopened:
        assert fingerprint(reopened, NAMESPACES) == before
        assert reopened.get_history("kv", "k1") == history
        assert reopened.get_tx_location("t4b") == location == (4, 1, block_pb2.VALID)
        _fill(reopened, chain, 2)
        assert reopened.height == 8


def test_crash_between_append_and_batch_replays_the_block(tmp_path: Path) -> None:
    path, chain = tmp_path / "ledger", Chain()
    ledger = Ledger(path)
    _fill(ledger, chain, 3)
    pending = chain.tx_block(("crash", [("kv", "after", b"crash")]))

    def crash(*_args: object) -> None:
        raise OSError("simulated crash after the block file append")

    ledger._write = crash  # the batch never happens; the record is already fsynced
    with pytest.raises(OSError):
        ledger.commit(pending)
    assert ledger.height == 3
    with pytest.raises(RuntimeError, match="reopen"):
        ledger.commit(pending)  # a half-done commit must not be followed by more appends
    ledger.close()

    with Ledger(path) as reopened:
        assert reopened.height == 4
        assert reopened.get_block(3) == pending
        assert reopened.get_state("kv", "after") == VersionedValue(b"crash", 3, 0)
        assert reopened.get_tx_location("crash") == (3, 0, block_pb2.VALID)
        with rebuild(reopened.iter_blocks(), tmp_path / "reference") as reference:
            assert fingerprint(reopened, NAMESPACES) == fingerprint(reference, NAMESPACES)


def test_records_written_behind_the_index_are_replayed(tmp_path: Path) -> None:
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 2)
    extra = [chain.tx_block((f"x{n}", [("kv", "x", b"%d" % n)])) for n in range(2)]
    files = BlockFiles(path / "blocks")
    for block in extra:
        files.append(block.SerializeToString())
    files.close()
    with Ledger(path) as reopened:
        assert reopened.height == 4
        assert reopened.last_block_hash == chain.last_hash
        assert reopened.get_state("kv", "x") == VersionedValue(b"1", 3, 0)
        reopened.commit(chain.tx_block(("next", [])))


@pytest.mark.parametrize(
    "keep", [1, 7, 8, 40, -1], ids=["partial-length", "partial-crc", "header", "some", "all-but-1"]
)
def test_torn_final_record_is_cut(tmp_path: Path, keep: int) -> None:
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 3)
        before = fingerprint(ledger, NAMESPACES)
    block_file = _last_file(path)
    size = block_file.stat().st_size
    torn = _record(chain.tx_block(("torn", [("kv", "torn", b"x" * 100)])))
    with block_file.open("ab") as f:
        f.write(torn[:keep])
    with Ledger(path) as reopened:
        assert block_file.stat().st_size == size
        assert fingerprint(reopened, NAMESPACES) == before
        assert not reopened.has_tx("torn")
        retry = make_block(3, before[1], [envelope("retry", [("kv", "r", b"1")])])
        reopened.commit(retry)  # appended right after the cut, not after the garbage
    with Ledger(path) as again:
        assert again.height == 4
        assert again.get_block(3) == retry


def test_torn_record_at_start_of_new_file_is_cut(tmp_path: Path) -> None:
    """A crash during the first append after a rollover leaves a new file holding only part of a record."""
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path, max_file_size=1024) as ledger:
        _fill(ledger, chain, 5)
        before = fingerprint(ledger, NAMESPACES)
    files = sorted((path / "blocks").iterdir())
    torn_file = path / "blocks" / f"blockfile_{len(files):06d}"
    torn_file.write_bytes(_record(chain.tx_block(("torn", [])))[:20])
    with Ledger(path, max_file_size=1024) as reopened:
        assert fingerprint(reopened, NAMESPACES) == before
        assert torn_file.stat().st_size == 0
        retry = make_block(5, before[1], [envelope("retry")])
        reopened.commit(retry)
    with Ledger(path, max_file_size=1024) as again:
        assert again.get_block(5) == retry


def test_zero_filled_tail_is_cut(tmp_path: Path) -> None:
    """An OS crash can leave a file extended with zeros; the CRC tells it from a real record."""
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 2)
    block_file = _last_file(path)
    size = block_file.stat().st_size
    with block_file.open("ab") as f:
        f.write(struct.pack(">II", 50, 12345) + bytes(50))
    with Ledger(path) as reopened:
        assert reopened.height == 2
        assert block_file.stat().st_size == size


def test_index_rebuilt_from_block_files(tmp_path: Path) -> None:
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path, max_file_size=2048) as ledger:
        _fill(ledger, chain, 12)
        before = fingerprint(ledger, NAMESPACES)
        history = ledger.get_history("kv2", "shared")
    shutil.rmtree(path / "db")
    with Ledger(path, max_file_size=2048) as rebuilt:
        assert fingerprint(rebuilt, NAMESPACES) == before
        assert rebuilt.get_history("kv2", "shared") == history


def _corrupt_last_byte(block_file: Path, offset_from_end: int = 1) -> None:
    data = bytearray(block_file.read_bytes())
    data[-offset_from_end] ^= 0xFF
    block_file.write_bytes(bytes(data))


def test_damaged_last_committed_block_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    with Ledger(path) as ledger:
        _fill(ledger, Chain(), 2)
    _corrupt_last_byte(_last_file(path))
    with pytest.raises(LedgerCorruption, match="checksum"):
        Ledger(path)


def test_damaged_older_block_is_reported_on_read(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    with Ledger(path) as ledger:
        blocks = _fill(ledger, Chain(), 2)
    block_file = _last_file(path)
    data = bytearray(block_file.read_bytes())
    data[8 + len(blocks[0].SerializeToString()) - 1] ^= 0xFF  # last byte of block 0
    block_file.write_bytes(bytes(data))
    with Ledger(path) as reopened:
        assert reopened.get_block(1) == blocks[1]
        with pytest.raises(LedgerCorruption, match="blockfile_000000 offset 0"):
            reopened.get_block(0)


def test_missing_block_file_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    with Ledger(path) as ledger:
        _fill(ledger, Chain(), 1)
    _last_file(path).unlink()
    with pytest.raises(LedgerCorruption, match="missing"):
        Ledger(path)


def test_gap_in_block_files_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    with Ledger(path, max_file_size=600) as ledger:
        _fill(ledger, Chain(), 6)
    files = sorted((path / "blocks").iterdir())
    assert len(files) >= 3
    files[1].unlink()
    with pytest.raises(LedgerCorruption, match="blockfile_000001 is missing"):
        Ledger(path, max_file_size=600)


def test_block_file_shorter_than_index_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    with Ledger(path) as ledger:
        _fill(ledger, Chain(), 3)
    block_file = _last_file(path)
    with block_file.open("r+b") as f:
        f.truncate(block_file.stat().st_size - 10)
    with pytest.raises(LedgerCorruption, match="ends before the indexed record"):
        Ledger(path)


def test_unchained_record_past_savepoint_is_reported(tmp_path: Path) -> None:
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 2)
    stray = make_block(5, chain.last_hash, [envelope("stray")])
    with _last_file(path).open("ab") as f:
        f.write(_record(stray))
    with pytest.raises(LedgerCorruption, match="cannot replay"):
        Ledger(path)


def test_damage_followed_by_data_is_not_cut(tmp_path: Path) -> None:
    """Only a torn final append may be dropped; a bad record with blocks after it means real damage."""
    path, chain = tmp_path / "ledger", Chain()
    with Ledger(path) as ledger:
        _fill(ledger, chain, 1)
    first, second = chain.tx_block(("p", [])), chain.tx_block(("q", []))
    bad = bytearray(_record(first))
    bad[-1] ^= 0xFF
    with _last_file(path).open("ab") as f:
        f.write(bytes(bad) + _record(second))
    with pytest.raises(LedgerCorruption, match="checksum mismatch"):
        Ledger(path)
