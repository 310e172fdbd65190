"""The bench's pure parts: rate controllers, round statistics, the crypto count, rounds files and sweeps."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from prometheus_client import generate_latest

from gridledger.lab.bench import crypto, nodemetrics
from gridledger.lab.bench.config import BenchConfigError, derive, load_rounds, parse_sweep, split_values
from gridledger.lab.bench.nodes import Nodes
from gridledger.lab.bench.rates import FixedLoad, LinearRate, MaximumRate, parse_rate
from gridledger.lab.bench.runner import NetworkRun, run_network
from gridledger.lab.bench.stats import summarize, timeseries
from gridledger.lab.bench.workloads import KvBlindWrite, WorkerSlot, workload_class
from gridledger.ops.netconfig import load_network
from gridledger.peer.metrics import PeerMetrics

REPO = Path(__file__).resolve().parents[2]
DEFAULTS = {"workload": "kv-blind-write", "rate_control": "fixed-rate:10", "duration": 5, "workers": 1}


def test_rate_specs_parse_and_reject() -> None:
    assert parse_rate("fixed-rate:250", 10).target(3, 0, 0) == 250
    assert isinstance(parse_rate("fixed-load:20", 10), FixedLoad) and parse_rate("fixed-load:20", 10).mode == "load"
    linear = parse_rate("linear-rate:100:300", 10)
    assert isinstance(linear, LinearRate) and linear.target(5, 0, 0) == 200 and linear.target(20, 0, 0) == 300
    for bad in ("fixed-rate", "fixed-rate:x", "fixed-rate:-1", "linear-rate:1", "warp-speed:9", "fixed-load:0"):
        with pytest.raises(ValueError):
            parse_rate(bad, 10)


class Windows:
    """Drives a MaximumRate controller one window at a time: the second half of each window commits `achieved` VALID
    transactions per second with `in_flight` still outstanding at its end."""

    def __init__(self, controller: MaximumRate) -> None:
        self.controller, self.valid = controller, 0

    def __call__(self, achieved: float, in_flight: int = 0) -> float:
        start = self.controller._window_start
        self.controller.target(start + 1, self.valid, in_flight)
        self.valid += int(achieved)
        return self.controller.target(start + 2, self.valid, in_flight)


def test_maximum_rate_steps_the_rate_then_the_backlog_and_holds_the_best_backlog() -> None:
    controller = MaximumRate("maximum-rate:100:2", start=100, window=2)
    window = Windows(controller)
    assert controller.target(0, 0, 0) == 100 and controller.mode == "rate"
    assert window(100) == 150  # kept up: step the rate
    assert window(150) == 225
    # fell behind: from now on the target is a backlog, starting from what is in flight
    assert window(190, in_flight=200) == 200 and controller.mode == "load"
    assert window(180) == 300  # the first backlog window sets the bar afresh: a bigger backlog
    assert window(250) == 450  # improved on it
    assert window(300) == 675
    assert window(305) == 1012.5  # not 5% better: first strike, one more step
    assert window(290) == 450  # second strike in a row: back to the backlog of the best window
    assert controller.holding
    assert window(296) == 450 and window(298) == 450
    summary = controller.summary()
    assert summary["sustained_tps"] == pytest.approx(297)  # the windows held at that backlog
    assert summary["max_window_throughput_tps"] == 300 and summary["best_backlog"] == 450
    assert summary["stopped"] == "held the best backlog"


def test_maximum_rate_says_when_the_round_ended_before_it_settled() -> None:
    controller = MaximumRate("maximum-rate:100:2", start=100, window=2)
    window = Windows(controller)
    window(100)
    assert "before the network fell behind" in controller.summary()["stopped"]
    assert math.isnan(controller.summary()["sustained_tps"])
    window(100, in_flight=80)
    window(200)
    summary = controller.summary()
    assert "still being searched" in summary["stopped"] and summary["sustained_tps"] == 200


def test_round_summary_follows_caliper_definitions() -> None:
    records = [(0.0, 0.10, "VALID"), (0.5, 0.20, "VALID"), (1.0, 0.30, "MVCC_READ_CONFLICT"),
               (1.5, 0.05, "EndorserUnavailable")]
    summary = summarize(records)
    assert (summary["submitted"], summary["succeeded"], summary["failed"]) == (4, 2, 2)
    assert summary["failed_by_validation_code"] == {"MVCC_READ_CONFLICT": 1}
    assert summary["failed_by_error"] == {"EndorserUnavailable": 1}
    assert summary["achieved_send_rate_tps"] == pytest.approx(4 / 1.5)
    assert summary["throughput_tps"] == pytest.approx(4 / 1.55)  # failures count, as in Caliper
    assert summary["goodput_tps"] == pytest.approx(2 / 1.55)
    assert summary["latency_ms"]["max"] == pytest.approx(200)  # of VALID transactions only
    series = timeseries(records)
    assert series["sent"] == [2, 2] and series["valid"] == [2, 0] and math.isnan(series["p50_ms"][1])
    assert math.isnan(summarize([])["latency_ms"]["p50"])


def test_signature_count_matches_the_design_for_default_yaml() -> None:
    default = crypto.count(load_network(REPO / "deploy" / "networks" / "default.yaml"))
    assert (default.endorsers, default.peers, default.signs_per_tx, default.verifies_per_tx) == (2, 4, 4, 15)
    dev = crypto.count(load_network(REPO / "deploy" / "networks" / "dev.yaml"))
    assert (dev.signs_per_tx, dev.verifies_per_tx) == (3, 4)
    bound = crypto.bound(crypto.CryptoCost(30.0, 80.0, 600), default, 500, 2)
    assert bound["cpu_us_per_tx"] == pytest.approx(4 * 30 + 15 * 80 + (30 + 4 * 80) / 500)
    assert bound["bound_tps"] == pytest.approx(2e6 / bound["cpu_us_per_tx"])


def test_rounds_file_fills_missing_fields_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "rounds.yaml"
    path.write_text("rounds:\n  - {label: a, rate_control: 'fixed-load:3'}\n  - {workload: kv-hot-key}\n")
    first, second = load_rounds(path, DEFAULTS)
    assert (first.label, first.rate_control, first.workload) == ("a", "fixed-load:3", "kv-blind-write")
    assert (second.label, second.workload, second.rate_control) == ("round-2", "kv-hot-key", "fixed-rate:10")
    path.write_text("rounds:\n  - {rate_control: 'sideways:3'}\n")
    with pytest.raises(BenchConfigError, match=r"rounds\.0"):
        load_rounds(path, DEFAULTS)
    assert load_rounds(None, DEFAULTS)[0].label == "round-1"


def test_sweeps_derive_checked_networks() -> None:
    base = load_network(REPO / "deploy" / "networks" / "default.yaml")
    assert parse_sweep("batch-timeout-ms=50,100") == ("batch_timeout_ms", ["50", "100"])
    assert split_values("AND('A.peer', 'B.peer'),OR('A.peer', 'B.peer')") == ["AND('A.peer', 'B.peer')",
                                                                          "OR('A.peer', 'B.peer')"]
    assert derive(base, sweep=("max_message_count", "50")).batch.max_message_count == 50
    three = derive(base, sweep=("peers", "3"))
    assert [p.name for p in three.peer_orgs[0].peers] == ["peer0-org1", "peer1-org1", "peer2-org1"]
    assert derive(base, sweep=("endorsement", "OR('Org1MSP.peer', 'Org2MSP.peer')")).policies.endorsement.startswith(
        "OR")
    moved = derive(base, free_ports=True)
    assert moved.orderer_nodes()[0][1].port != base.orderer_nodes()[0][1].port
    with pytest.raises(BenchConfigError):
        parse_sweep("colour=red")
    with pytest.raises(ValueError):
        derive(base, sweep=("endorsement", "AND('Nobody.peer')"))


def test_workloads_by_name_and_by_import_path() -> None:
    assert workload_class("kv-blind-write") is KvBlindWrite
    assert workload_class("gridledger.lab.bench.workloads:KvHotKey").name == "kv-hot-key"
    with pytest.raises(ValueError):
        workload_class("no-such-workload")
    tx = KvBlindWrite(WorkerSlot(1, 2, 0, "run-r0-w1"), {"value_size": 10}).transaction(7)
    assert tx.function == "put" and tx.args == ("run-r0-w1-7", "v" * 10)


def test_metric_deltas_give_per_block_stage_times() -> None:
    node = PeerMetrics(lambda: 11)
    node.blocks.inc(10)
    node.validate.observe(1.0)
    node.chaincode_execute.labels("kv").observe(0.002)
    before = nodemetrics.parse(generate_latest(node.node.registry).decode())
    node.blocks.inc(20)
    for _ in range(20):
        node.validate.observe(0.025)
    after = nodemetrics.parse(generate_latest(node.node.registry).decode())
    deltas = nodemetrics.deltas({"p": before}, {"p": after})
    assert deltas["p"]["gridledger_peer_blocks_committed_total"] == 20
    assert deltas["p"]["gridledger_peer_block_validate_duration_seconds_count"] == 20
    assert not any("height" in key or "_bucket" in key or "chaincode" in key for key in deltas["p"])
    assert nodemetrics.stages(deltas["p"]) == {"gridledger_peer_block_validate_duration_ms_mean": pytest.approx(25)}


def test_market_orders_are_sealed_per_participant_side_and_slot(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto_dir = raft_crypto
    slot = WorkerSlot(0, 1, 0, "run-r0-w0", "Org1MSP", crypto_dir)
    workload = workload_class("market-order")(slot, {"participants": 2})
    txs = [workload.transaction(i) for i in range(5)]
    assert [tx.function for tx in txs] == ["submit_order"] * 5
    assert [(tx.args[1], tx.args[2]) for tx in txs] == [(0, "buy"), (0, "buy"), (0, "sell"), (0, "sell"), (1, "buy")]
    assert txs[0].identity is not txs[1].identity and txs[0].identity is txs[2].identity
    assert len(bytes.fromhex(txs[0].args[3])) == 32  # a commit-reveal commitment


class InterruptedStart(Nodes):
    """Nodes whose start is interrupted (Ctrl-C, SIGTERM) after some of them came up."""

    runtime = "local"
    crypto_dir = Path("unused")

    def __init__(self) -> None:
        self.stopped = 0

    def up(self, network_file: Path) -> list:
        raise KeyboardInterrupt

    def down(self) -> None:
        self.stopped += 1

    def sampler(self, statuses: list):
        raise AssertionError("no round runs on a network that never started")


def test_a_start_interrupted_half_way_still_stops_the_network() -> None:
    network_file = REPO / "deploy" / "networks" / "dev.yaml"
    nodes = InterruptedStart()
    run = NetworkRun("dev", network_file, load_network(network_file), nodes)

    class Quiet:
        def note(self, text: str) -> None:
            pass

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(run_network(run, [], crypto.CryptoCost(1.0, 1.0, 600), Quiet()))
    assert nodes.stopped == 1
