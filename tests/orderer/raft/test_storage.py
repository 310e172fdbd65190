"""The durable raft state: what a Ready persists is what a restart loads, through truncation, compaction and an
installed snapshot; damaged state is refused with a message, not loaded."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from gridledger.orderer.consensus.raft.core import CoreConfig, RaftCore, Ready
from gridledger.orderer.consensus.raft.messages import decode
from gridledger.orderer.consensus.raft.storage import RaftStorage, RaftStorageError
from gridledger.orderer.consensus.transport import BadPayload
from gridledger.v1 import raft_pb2


def _entry(index: int, term: int, data: bytes = b"") -> raft_pb2.RaftEntry:
    return raft_pb2.RaftEntry(index=index, term=term, type=raft_pb2.RAFT_ENTRY_BLOCK, data=data or b"e%d" % index)


def _reopen(path: Path, storage: RaftStorage) -> tuple[RaftStorage, list[tuple[int, int]]]:
    storage.close()
    storage = RaftStorage(path)
    state = storage.load()
    return storage, [(e.index, e.term) for e in state.entries]


def test_entries_hard_state_truncation_compaction_and_snapshot_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "raft"
    storage = RaftStorage(path)
    assert storage.load().entries == []
    storage.save(Ready(hard_state=raft_pb2.RaftHardState(term=2, vote="orderer1", commit=3),
                       entries=[_entry(i, 1 if i < 4 else 2) for i in range(1, 7)]))
    storage, entries = _reopen(path, storage)
    assert entries == [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2)]
    state = storage.load()
    assert (state.hard_state.term, state.hard_state.vote, state.hard_state.commit) == (2, "orderer1", 3)

    # A new leader's shorter log replaces ours from index 5 on: 6 must be gone, not left behind.
    storage.save(Ready(entries=[_entry(5, 3)]))
    storage, entries = _reopen(path, storage)
    assert entries[-2:] == [(4, 2), (5, 3)]

    snapshot = raft_pb2.RaftSnapshot(index=4, term=2, data=b"chain")
    storage.save(Ready(new_snapshot=snapshot, compacted=(2, 1), entries=[_entry(6, 3)]))
    storage, entries = _reopen(path, storage)
    state = storage.load()
    assert (state.offset_index, state.offset_term) == (2, 1) and state.snapshot == snapshot
    assert entries == [(3, 1), (4, 2), (5, 3), (6, 3)]

    installed = raft_pb2.RaftSnapshot(index=20, term=5, data=b"later")
    storage.save(Ready(received_snapshot=installed, hard_state=raft_pb2.RaftHardState(term=5, commit=20)))
    storage, entries = _reopen(path, storage)
    state = storage.load()
    assert entries == [] and state.snapshot == installed and (state.offset_index, state.offset_term) == (20, 5)

    # The core restarts from it: nothing to apply below the snapshot, the log continues after it.
    core = RaftCore("orderer0", ["orderer0", "orderer1", "orderer2"], CoreConfig(10, 1), random.Random(0), state)
    assert (core.term, core.commit, core.applied, core.log.last_index) == (5, 20, 20, 20)
    storage.close()


def test_damaged_state_is_refused(tmp_path: Path) -> None:
    import plyvel

    path = tmp_path / "raft"
    storage = RaftStorage(path)
    storage.save(Ready(entries=[_entry(1, 1), _entry(2, 1), _entry(3, 1)]))
    storage.close()
    db = plyvel.DB(str(path))
    db.delete(b"e" + (2).to_bytes(8, "big"))
    db.close()
    with pytest.raises(RaftStorageError, match="gap or stray entry at 3"):
        RaftStorage(path).load()

    db = plyvel.DB(str(path))
    db.put(b"h", b"\xff\xff not a hard state")
    db.close()
    with pytest.raises(RaftStorageError, match="cannot be read"):
        RaftStorage(path).load()


def test_cluster_payloads_are_checked_before_the_state_machine_sees_them() -> None:
    good = raft_pb2.RaftAppendEntries(term=3, prev_log_index=4, prev_log_term=2,
                                      entries=[_entry(5, 2), _entry(6, 3)], leader_commit=4)
    assert decode("gridledger.v1.RaftAppendEntries", good.SerializeToString()) == good
    cases = [
        ("gridledger.v1.Nope", b"", "unknown cluster message kind"),
        ("gridledger.v1.RaftAppendEntries", b"\xff\xff\xff", "not a valid gridledger.v1.RaftAppendEntries"),
        ("gridledger.v1.RaftAppendEntries", raft_pb2.RaftAppendEntries(
            term=3, prev_log_index=4, prev_log_term=2, entries=[_entry(6, 2)]).SerializeToString(),
         "has index 6, expected 5"),
        ("gridledger.v1.RaftAppendEntries", raft_pb2.RaftAppendEntries(
            term=3, prev_log_index=4, prev_log_term=2, entries=[_entry(5, 4)]).SerializeToString(), "has term 4"),
        ("gridledger.v1.RaftAppendEntries", raft_pb2.RaftAppendEntries(
            term=3, prev_log_index=4, prev_log_term=2, entries=[_entry(5, 3), _entry(6, 2)]).SerializeToString(),
         "has term 2"),
        ("gridledger.v1.RaftInstallSnapshot", raft_pb2.RaftInstallSnapshot(
            term=3, snapshot=raft_pb2.RaftSnapshot(index=9, term=4)).SerializeToString(), "cannot be sent in term 3"),
    ]
    for kind, payload, message in cases:
        with pytest.raises(BadPayload, match=message):
            decode(kind, payload)
