"""ChaincodeHost with real worker processes: the sample contract, failures, timeouts, crashes, nested calls."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from gridledger.peer.chaincode import ChaincodeHost, ExecutionResult, TxSimulator

from .fakes import MemoryState, make_context


def run(host: ChaincodeHost, chaincode: str, function: str, *args: str | bytes, memory: MemoryState | None = None,
        timeout_s: float | None = None, simulator: TxSimulator | None = None) -> ExecutionResult:
    simulator = simulator or TxSimulator(memory or MemoryState())
    raw = [arg.encode() if isinstance(arg, str) else arg for arg in args]
    return host.execute(chaincode, function, raw, make_context(), simulator, timeout_s=timeout_s)


def worker_pid(host: ChaincodeHost) -> int:
    result = run(host, "faulty", "pid")
    assert result.status == 200, result.message
    return int(result.payload)


def test_kv_put_get_delete(host: ChaincodeHost) -> None:
    memory = MemoryState()
    memory.set("kv", "present", b"hello", 2, 1)
    simulator = TxSimulator(memory)
    assert run(host, "kv", "put", "k", "v1", simulator=simulator).status == 200
    assert run(host, "kv", "get", "k", simulator=simulator).payload == b"v1"  # sees the earlier write
    assert run(host, "kv", "get", "present", simulator=simulator).payload == b"hello"
    assert run(host, "kv", "delete", "present", simulator=simulator).ok
    missing = run(host, "kv", "get", "present", simulator=simulator)
    assert missing.status == 400 and "does not exist" in missing.message
    (ns,) = simulator.rwset().ns_rwset
    assert [(r.key, r.version.block_num) for r in ns.reads] == [("present", 2)]
    assert [(w.key, w.is_delete, w.value) for w in ns.writes] == [("k", False, b"v1"), ("present", True, b"")]


def test_kv_transfer_records_both_reads_and_writes(host: ChaincodeHost) -> None:
    memory = MemoryState()
    memory.set("kv", "alice", b"100", 7, 3)
    simulator = TxSimulator(memory)
    result = run(host, "kv", "transfer", "alice", "bob", "30", simulator=simulator)
    assert result.status == 200, result.message
    assert json.loads(result.payload) == {"alice": 70, "bob": 30}
    (ns,) = simulator.rwset().ns_rwset
    assert [(r.key, r.HasField("version")) for r in ns.reads] == [("alice", True), ("bob", False)]
    assert [(w.key, w.value) for w in ns.writes] == [("alice", b"70"), ("bob", b"30")]
    assert memory.get_many_calls == 1  # both balances in one batch


def test_kv_transfer_failures_leave_no_writes(host: ChaincodeHost) -> None:
    memory = MemoryState()
    memory.set("kv", "alice", b"10")
    simulator = TxSimulator(memory)
    poor = run(host, "kv", "transfer", "alice", "bob", "11", simulator=simulator)
    assert poor.status == 500 and "insufficient balance: 'alice' has 10, transfer needs 11" in poor.message
    assert not simulator.has_writes
    assert run(host, "kv", "transfer", "alice", "bob", "-1").status == 400
    assert run(host, "kv", "transfer", "alice", "bob", "ten").status == 400


def test_kv_range_pages_through_results(host: ChaincodeHost) -> None:
    memory = MemoryState()
    for index in range(8):  # more than one page (the fixture's page size is 3)
        memory.set("kv", f"k{index}", f"v{index}".encode(), 1, index)
    memory.set("kv", "\x00composite\x00x\x00", b"hidden")
    simulator = TxSimulator(memory)
    result = run(host, "kv", "range", "k2", "", simulator=simulator)
    assert json.loads(result.payload) == [[f"k{i}", f"v{i}"] for i in range(2, 8)]
    everything = run(host, "kv", "range", "", "", memory=memory)
    assert len(json.loads(everything.payload)) == 8  # composite keys stay out of simple ranges
    (info,) = simulator.rwset().ns_rwset[0].range_queries
    assert info.itr_exhausted and [r.key for r in info.raw_reads.reads] == [f"k{i}" for i in range(2, 8)]


def test_range_stopped_early_in_a_worker(host: ChaincodeHost) -> None:
    memory = MemoryState()
    for key in "abcdefg":
        memory.set("records", key, b"x")
    simulator = TxSimulator(memory)
    result = run(host, "records", "first", "b", "", simulator=simulator)
    assert result.payload == b"b"
    (info,) = simulator.rwset().ns_rwset[0].range_queries
    assert not info.itr_exhausted and [r.key for r in info.raw_reads.reads] == ["b"]


def test_scan_sees_own_writes_made_before_it(host: ChaincodeHost) -> None:
    memory = MemoryState()
    for key in "abc":
        memory.set("records", key, b"x")
    simulator = TxSimulator(memory)
    result = run(host, "records", "write_then_scan", "bb", "a", "", simulator=simulator)
    assert json.loads(result.payload) == ["a", "bb", "c"]
    writes = [(w.key, w.is_delete) for w in simulator.rwset().ns_rwset[0].writes]
    assert writes == [("b", True), ("bb", False)]


def test_composite_keys_and_events(host: ChaincodeHost) -> None:
    simulator = TxSimulator(MemoryState())
    for owner, item in (("alice", "car"), ("bob", "bike"), ("alice", "boat")):
        result = run(host, "records", "add", owner, item, f"{owner}-{item}", simulator=simulator)
        assert result.ok
        (event,) = result.events
        assert (event.chaincode, event.tx_id, event.name) == ("records", "tx-1", "added")
        assert event.payload == f"\x00asset\x00{owner}\x00{item}\x00".encode()
    found = run(host, "records", "by_owner", "alice", simulator=simulator)
    assert json.loads(found.payload) == [[["alice", "boat"], "alice-boat"], [["alice", "car"], "alice-car"]]
    bad = run(host, "records", "bad_key", "a\x00b")
    assert bad.status == 500 and "NUL" in bad.message


def test_context_reaches_the_chaincode(host: ChaincodeHost) -> None:
    context = make_context(tx_id="tx-ctx", transient={"price": b"42"})
    result = host.execute("faulty", "context", [], context, TxSimulator(MemoryState()))
    assert json.loads(result.payload) == {
        "tx_id": "tx-ctx", "channel": "energy", "msp": "Org1MSP", "role": "client", "fingerprint": "ab" * 32,
        "ts": 1_700_000_000_000_000_000, "transient": {"price": "42"}, "function": "context", "args": []}


def test_exception_in_chaincode_is_an_error_response(host: ChaincodeHost) -> None:
    pid = worker_pid(host)
    simulator = TxSimulator(MemoryState())
    result = run(host, "faulty", "boom", "the meter exploded", simulator=simulator)
    assert result.status == 500
    assert result.message == "ValueError: the meter exploded"
    assert not simulator.has_writes and not result.events
    assert worker_pid(host) == pid  # same worker, still serving
    unknown = run(host, "faulty", "no_such_function")
    assert unknown.status == 400 and "unknown function" in unknown.message
    assert run(host, "nope", "f").status == 400
    assert run(host, "faulty", "sneaky_write").status == 500


def test_endless_loop_times_out_and_worker_is_replaced(host: ChaincodeHost) -> None:
    pid = worker_pid(host)
    started = time.monotonic()
    result = run(host, "faulty", "spin", timeout_s=0.5)
    assert time.monotonic() - started < 3.0
    assert result.status == 500 and "timed out after 0.5 s" in result.message
    assert run(host, "faulty", "ok").payload == b"ok"
    new_pid = worker_pid(host)
    assert new_pid != pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the spinning worker is gone (killed and reaped)


def test_worker_killed_from_outside_is_replaced(host: ChaincodeHost) -> None:
    pid = worker_pid(host)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # wait until the kernel has really ended it
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.01)
    result = run(host, "faulty", "ok")
    assert result.payload == b"ok", result.message
    assert worker_pid(host) != pid


def test_worker_crash_during_a_call(host: ChaincodeHost) -> None:
    result = run(host, "faulty", "crash")
    assert result.status == 500 and "exited with status 7" in result.message
    assert run(host, "faulty", "ok").payload == b"ok"


def test_printing_does_not_corrupt_the_protocol(host: ChaincodeHost) -> None:
    assert run(host, "faulty", "chatty").payload == b"still fine"
    assert run(host, "faulty", "ok").payload == b"ok"


def test_chaincode_that_cannot_load(host: ChaincodeHost) -> None:
    result = run(host, "broken", "anything")
    assert result.status == 500 and "broken on purpose" in result.message
    assert run(host, "kv", "put", "still", "working").ok


def test_invoke_chaincode_records_both_namespaces(host: ChaincodeHost) -> None:
    memory = MemoryState()
    memory.set("caller", "last", b"old", 4, 2)
    simulator = TxSimulator(memory)
    result = run(host, "caller", "relay", "meter-1", "15kWh", simulator=simulator)
    assert result.status == 200, result.message
    assert json.loads(result.payload) == {"put": 200, "got": "15kWh"}
    assert [(e.chaincode, e.name) for e in result.events] == [("caller", "relayed")]
    rwset = simulator.rwset()
    assert [ns.namespace for ns in rwset.ns_rwset] == ["caller", "kv"]
    caller_ns, kv_ns = rwset.ns_rwset
    assert [(w.key, w.value) for w in caller_ns.writes] == [("last", b"meter-1")]
    assert [(w.key, w.value) for w in kv_ns.writes] == [("meter-1", b"15kWh")]
    assert not kv_ns.reads  # kv read its own write: nothing committed was read


def test_failed_nested_call_is_rolled_back(host: ChaincodeHost) -> None:
    simulator = TxSimulator(MemoryState())
    result = run(host, "caller", "call_failing", simulator=simulator)
    assert result.status == 200, result.message
    assert json.loads(result.payload) == {"status": 500, "message": "ValueError: nested failure"}
    rwset = simulator.rwset()
    assert [(ns.namespace, [w.key for w in ns.writes]) for ns in rwset.ns_rwset] == [("caller", ["after"])]


def test_nested_refusals(host: ChaincodeHost) -> None:
    recursive = run(host, "caller", "call_self")
    assert json.loads(recursive.payload)["message"].startswith("recursive chaincode invocation")
    assert run(host, "caller", "call_missing").payload == b"400"


def test_nested_timeout_fails_the_whole_call_and_replaces_workers(host: ChaincodeHost) -> None:
    faulty_pid = worker_pid(host)
    result = run(host, "caller", "call_spin", timeout_s=0.5)
    assert result.status == 500 and "'faulty' timed out" in result.message
    assert worker_pid(host) != faulty_pid
    assert run(host, "caller", "relay", "k", "v").ok


def test_concurrent_executions(host: ChaincodeHost) -> None:
    memory = MemoryState()
    results: list[ExecutionResult] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for round_ in range(10):
            simulator = TxSimulator(memory)
            result = run(host, "kv", "put", f"t{index}-{round_}", str(index), simulator=simulator)
            with lock:
                results.append(result)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 40 and all(result.ok for result in results)


def test_pool_runs_calls_in_parallel() -> None:
    """With two workers per chaincode a spinning call does not block another call of the same chaincode."""
    from .conftest import FIXTURES

    with ChaincodeHost(timeout_s=5.0, pool_size=2) as pooled:
        pooled.register("faulty", FIXTURES / "faulty")
        pooled.start("faulty")
        spinning = threading.Thread(target=run, args=(pooled, "faulty", "spin"), kwargs={"timeout_s": 1.5})
        spinning.start()
        time.sleep(0.1)
        assert run(pooled, "faulty", "ok").payload == b"ok"
        assert spinning.is_alive()  # the other call answered while the first still spins
        spinning.join()
    assert run(pooled, "faulty", "ok").status >= 400  # closed hosts answer with errors, not exceptions
