"""TxSimulator: versioned reads, own-write visibility, range query records and deterministic read/write sets."""

from __future__ import annotations

from gridledger.peer.chaincode import TxSimulator
from gridledger.v1 import rwset_pb2

from .fakes import MemoryState


def state() -> MemoryState:
    memory = MemoryState()
    memory.set("kv", "a", b"1", 3, 0)
    memory.set("kv", "b", b"2", 3, 1)
    memory.set("kv", "c", b"3", 4, 0)
    memory.set("kv", "e", b"5", 5, 2)
    memory.set("other", "x", b"9", 2, 0)
    return memory


def reads_of(ns: rwset_pb2.NsReadWriteSet) -> list[tuple[str, tuple[int, int] | None]]:
    return [(r.key, (r.version.block_num, r.version.tx_num) if r.HasField("version") else None) for r in ns.reads]


def test_reads_record_versions_and_absence_once() -> None:
    memory = state()
    simulator = TxSimulator(memory)
    assert simulator.get_states("kv", ["b", "zz", "a", "b"]) == [b"2", None, b"1", b"2"]
    assert simulator.get_state("kv", "a") == b"1"
    assert memory.get_many_calls == 1  # one batch; repeated keys are served from what was read
    (ns,) = simulator.rwset().ns_rwset
    assert ns.namespace == "kv"
    assert reads_of(ns) == [("a", (3, 0)), ("b", (3, 1)), ("zz", None)]
    assert not ns.writes


def test_reads_see_own_writes_without_recording_them() -> None:
    simulator = TxSimulator(state())
    simulator.put_state("kv", "new", b"v")
    simulator.del_state("kv", "a")
    assert simulator.get_states("kv", ["new", "a"]) == [b"v", None]
    versioned = simulator.get_versioned("kv", "new")
    assert versioned is not None and versioned.value == b"v" and versioned.block_num is None
    (ns,) = simulator.rwset().ns_rwset
    assert reads_of(ns) == []
    assert [(w.key, w.is_delete, w.value) for w in ns.writes] == [("a", True, b""), ("new", False, b"v")]


def test_rwset_bytes_do_not_depend_on_operation_order() -> None:
    first = TxSimulator(state())
    first.get_state("other", "x")
    first.put_state("kv", "z", b"1")
    first.get_states("kv", ["c", "a"])
    first.put_state("kv", "m", b"2")
    second = TxSimulator(state())
    second.put_state("kv", "m", b"2")
    second.get_states("kv", ["a"])
    second.put_state("kv", "z", b"0")
    second.put_state("kv", "z", b"1")
    second.get_state("kv", "c")
    second.get_state("other", "x")
    assert first.rwset().SerializeToString() == second.rwset().SerializeToString()
    assert [ns.namespace for ns in first.rwset().ns_rwset] == ["kv", "other"]


def test_full_range_records_every_key_and_exhaustion() -> None:
    simulator = TxSimulator(state())
    assert list(simulator.get_state_by_range("kv", "b", "")) == [("b", b"2"), ("c", b"3"), ("e", b"5")]
    (ns,) = simulator.rwset().ns_rwset
    (info,) = ns.range_queries
    assert (info.start_key, info.end_key, info.itr_exhausted) == ("b", "", True)
    assert [(r.key, r.version.block_num, r.version.tx_num) for r in info.raw_reads.reads] == [
        ("b", 3, 1), ("c", 4, 0), ("e", 5, 2)]
    assert reads_of(ns) == []


def test_range_stopped_early_records_only_what_was_seen() -> None:
    simulator = TxSimulator(state())
    scan = simulator.get_state_by_range("kv", "a", "z")
    assert scan.next_items(3) == [("a", b"1"), ("b", b"2"), ("c", b"3")]  # e.g. one page sent to a worker
    scan.finish(consumed=1, exhausted=False)  # ...of which the chaincode used one
    (info,) = simulator.rwset().ns_rwset[0].range_queries
    assert not info.itr_exhausted
    assert [r.key for r in info.raw_reads.reads] == ["a"]

    untouched = TxSimulator(state())
    untouched.get_state_by_range("kv", "a", "z").finish(consumed=0, exhausted=False)
    (info,) = untouched.rwset().ns_rwset[0].range_queries
    assert not info.itr_exhausted and not info.raw_reads.reads


def test_range_merges_own_writes_and_records_committed_keys_it_depended_on() -> None:
    simulator = TxSimulator(state())
    simulator.put_state("kv", "bb", b"mine")
    simulator.del_state("kv", "c")
    simulator.put_state("kv", "a", b"changed")
    scan = simulator.get_state_by_range("kv", "a", "")
    assert scan.next_items(2) == [("a", b"changed"), ("b", b"2")]
    assert scan.next_item() == ("bb", b"mine")
    scan.finish(consumed=3, exhausted=False)
    (info,) = simulator.rwset().ns_rwset[0].range_queries
    # "bb" came from our own write; proving nothing committed lies between "b" and "bb" needed the next committed
    # key ("c"), so it is recorded too, or a key inserted there later would go unnoticed.
    assert [r.key for r in info.raw_reads.reads] == ["a", "b", "c"]
    assert not info.itr_exhausted


def test_own_write_past_the_last_committed_key_needs_the_whole_range() -> None:
    simulator = TxSimulator(state())
    simulator.put_state("kv", "zz", b"mine")
    scan = simulator.get_state_by_range("kv", "d", "")
    assert scan.next_items(2) == [("e", b"5"), ("zz", b"mine")]
    scan.finish(consumed=2, exhausted=False)
    (info,) = simulator.rwset().ns_rwset[0].range_queries
    assert info.itr_exhausted and [r.key for r in info.raw_reads.reads] == ["e"]


def test_savepoint_rollback_restores_writes() -> None:
    simulator = TxSimulator(state())
    simulator.put_state("kv", "keep", b"1")
    savepoint = simulator.savepoint()
    simulator.put_state("kv", "keep", b"2")
    simulator.put_state("other", "drop", b"3")
    simulator.rollback(savepoint)
    assert simulator.get_state("kv", "keep") == b"1"
    assert simulator.get_state("other", "drop") is None
    writes = {(ns.namespace, w.key) for ns in simulator.rwset().ns_rwset for w in ns.writes}
    assert writes == {("kv", "keep")}
