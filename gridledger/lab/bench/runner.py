"""The coordinator: for each network (one, or one per sweep value) start it fresh, deploy what the rounds need,
run the rounds with worker processes, and gather each round's result with node metrics, resource use, blocks,
load average and the crypto bound. Writing the results is output.py's job; showing progress the caller's.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from gridledger.common.material import load_member
from gridledger.lab.bench import crypto, nodemetrics
from gridledger.lab.bench.blocks import BlockListener, BlockSeen, block_summary
from gridledger.lab.bench.config import RoundSpec
from gridledger.lab.bench.machine import load_average, machine_cpu_percent
from gridledger.lab.bench.nodes import Nodes
from gridledger.lab.bench.pool import WorkerPool
from gridledger.lab.bench.rates import RateController, parse_rate
from gridledger.lab.bench.resources import ProcessSampler
from gridledger.lab.bench.stats import Record, summarize, timeseries
from gridledger.lab.bench.worker import RoundOrder, WorkerConfig
from gridledger.lab.bench.workloads import workload_class
from gridledger.ops.deploy import NetworkClients, deploy, peers_of
from gridledger.ops.localnet import NodeStatus
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.sdk import Gateway

START_DELAY = 0.5  # seconds between telling workers to start and the round's start: every worker gets the order
SETUP_TIMEOUT = 300.0


class Progress(Protocol):
    """How the coordinator reports while it runs (the CLI shows it with rich)."""

    def note(self, text: str) -> None: ...

    def round_started(self, label: str, duration: float) -> None: ...

    def round_tick(self, elapsed: float, target: float, sent: int, completed: int, valid: int) -> None: ...

    def round_finished(self, result: dict) -> None: ...


@dataclass(frozen=True)
class NetworkRun:
    """One network to run the rounds on: its label (the sweep value, or the network name), file and definition."""

    label: str
    network_file: Path
    network: NetworkDefinition
    nodes: Nodes
    sweep: dict[str, str] | None = None


@dataclass
class RoundOutput:
    """A round's result (JSON-ready) and what only the report needs: its records and the blocks in it."""

    result: dict
    records: list[Record]
    blocks: list[tuple[float, int, int]]  # (seconds into the round, transactions, bytes)


def topology(network: NetworkDefinition, runtime: str) -> dict[str, object]:
    return {"name": network.name, "runtime": runtime, "consensus": network.consensus.type,
            "orderers": len(network.orderer_nodes()), "peer_orgs": len(network.peer_orgs),
            "peers": sum(len(org.peers) for org in network.peer_orgs), "channel": network.channel,
            "endorsement_policy": network.policies.endorsement, "batch": network.batch.model_dump()}


def worker_configs(network: NetworkDefinition, crypto_dir: Path, count: int, run_id: str) -> list[WorkerConfig]:
    """Worker i connects to peer i mod P (so gateways share the load) as its org's first client."""
    peers = peers_of(network)
    trusted = tuple(network.msp_ids)
    clients = {org.msp_id: org.clients[0] for org in network.peer_orgs}
    return [WorkerConfig(i, peers[i % len(peers)].address, peers[i % len(peers)].msp_id,
                         clients[peers[i % len(peers)].msp_id], crypto_dir, trusted, network.channel, run_id)
            for i in range(count)]


async def deploy_chaincodes(network: NetworkDefinition, crypto_dir: Path, rounds: Sequence[RoundSpec],
                            progress: Progress) -> None:
    clients = NetworkClients(network, crypto_dir)
    needed = {cls.chaincode: cls.chaincode_path for cls in (workload_class(r.workload) for r in rounds)}
    for name, path in needed.items():
        await deploy(clients, name, path, "1.0", network.policies.endorsement, progress=progress.note)


class RoundDriver:
    """Runs one round: steers the target from the rate controller and measures around it."""

    def __init__(self, run: NetworkRun, statuses: list[NodeStatus], pool: WorkerPool, listener: BlockListener,
                 cost: crypto.CryptoCost, progress: Progress) -> None:
        self.run, self.statuses, self.pool, self.listener = run, statuses, pool, listener
        self.cost, self.progress = cost, progress
        self.metric_urls = {s.name: s.operations_url for s in statuses if s.operations_url}

    async def __call__(self, index: int, spec: RoundSpec) -> RoundOutput:
        controller = parse_rate(spec.rate_control, spec.duration)
        order = RoundOrder(index, spec.workers, spec.workload, spec.options, spec.duration, 0.0, spec.tx_timeout,
                           spec.max_in_flight)
        shared = self.pool.shared
        shared.reset()
        shared.target.value = controller.target(0.0, 0, 0)
        shared.load_mode.value = controller.mode == "load"
        self.progress.note(f"{self.run.label} / {spec.label}: preparing {spec.workload} on {spec.workers} worker(s)")
        await self.pool.setup(order, SETUP_TIMEOUT)
        load_start = load_average()
        machine_cpu_percent()
        metrics_before = nodemetrics.scrape(self.metric_urls)
        node_sampler = self.run.nodes.sampler(self.statuses)
        clients = {name: pid for i, (name, pid) in enumerate(self.pool.pids.items()) if i < spec.workers}
        client_sampler = ProcessSampler({**clients, "bench-coordinator": os.getpid()}, children=False)
        node_sampler.start()
        client_sampler.start()
        start_at = time.monotonic() + START_DELAY
        targets: dict[str, list[float]] = {"rate": [], "load": []}
        self.progress.round_started(spec.label, spec.duration)

        def tick() -> None:
            elapsed = time.monotonic() - start_at
            workers = range(spec.workers)
            completed = sum(shared.completed[i] for i in workers)
            sent = sum(shared.sent[i] for i in workers)
            valid = sum(shared.valid[i] for i in workers)
            if 0 <= elapsed < spec.duration:
                shared.target.value = controller.target(elapsed, valid, sent - completed)
                shared.load_mode.value = controller.mode == "load"
                targets[controller.mode].append(shared.target.value)
            self.progress.round_tick(min(max(elapsed, 0.0), spec.duration), shared.target.value, sent, completed,
                                     valid)

        records = await self.pool.run(order, start_at, tick)
        tick()
        end = time.monotonic()
        resources = {**node_sampler.stop(), **client_sampler.stop()}
        metric_deltas = nodemetrics.deltas(metrics_before, nodemetrics.scrape(self.metric_urls))
        blocks = self.listener.between(start_at, end)
        result = self._result(spec, controller, records, targets, blocks, resources, metric_deltas)
        result["load_average"] = {"start": load_start, "end": load_average()}
        result["machine_cpu_percent"] = machine_cpu_percent()
        self.progress.round_finished(result)
        return RoundOutput(result, records, [(b.at - start_at, b.transactions, b.size) for b in blocks])

    def _result(self, spec: RoundSpec, controller: RateController, records: list[Record],
                targets: dict[str, list[float]],
                blocks: list[BlockSeen], resources: dict, metric_deltas: dict) -> dict:
        summary = summarize(records)
        block_stats = block_summary(blocks, self.run.network.batch)
        bound = network_bound(self.run.network, self.cost)
        return {
            "label": spec.label, "workload": spec.workload, "rate_control": spec.rate_control,
            "duration_s": spec.duration, "workers": spec.workers, "options": spec.options, **summary,
            # maximum-rate has both: the rates it probed, then the backlogs
            "target_send_rate_tps": statistics.fmean(targets["rate"]) if targets["rate"] else None,
            "target_backlog": statistics.fmean(targets["load"]) if targets["load"] else None,
            "rate_controller": controller.summary(),
            "blocks": block_stats,
            "stages": {node: nodemetrics.stages(d) for node, d in metric_deltas.items()},
            "metric_deltas": metric_deltas,
            "resources": resources,
            "cpu_ms_per_valid_tx": cpu_per_transaction(resources, summary["goodput_tps"]),
            "crypto_bound": bound,
            "achieved_over_crypto_bound": summary["goodput_tps"] / bound["bound_tps"],
            "timeseries": timeseries(records),
        }


def cpu_per_transaction(resources: dict[str, dict[str, float]], goodput_tps: float) -> dict[str, float | None]:
    """Milliseconds of CPU per VALID transaction, summed over the nodes and over the bench's own processes: the
    number to compare with the crypto bound's cpu_us_per_tx."""
    def per_tx(names: list[str]) -> float | None:
        busy = sum(resources[name]["cpu_percent"] for name in names) / 100
        return busy / goodput_tps * 1e3 if goodput_tps else None

    clients = [name for name in resources if name.startswith("bench-")]
    return {"nodes": per_tx([name for name in resources if name not in clients]), "bench": per_tx(clients)}


def network_bound(network: NetworkDefinition, cost: crypto.CryptoCost) -> dict[str, float]:
    """The crypto bound with full blocks (per-block signatures spread thinnest): the most the cores could do."""
    return crypto.bound(cost, crypto.count(network), float(network.batch.max_message_count), os.cpu_count() or 1)


async def run_network(run: NetworkRun, rounds: Sequence[RoundSpec], cost: crypto.CryptoCost,
                      progress: Progress) -> list[RoundOutput]:
    """Start `run`'s network fresh, run every round on it, stop it (also on failure, and when the start itself
    fails or is interrupted: the nodes started by then must not outlive the run)."""
    progress.note(f"{run.label}: starting {run.network.name} ({run.nodes.runtime})")
    pool: WorkerPool | None = None
    try:
        statuses = run.nodes.up(run.network_file)
        await deploy_chaincodes(run.network, run.nodes.crypto_dir, rounds, progress)
        pool = WorkerPool(worker_configs(run.network, run.nodes.crypto_dir, max(r.workers for r in rounds),
                                         uuid.uuid4().hex[:8]))
        await pool.start()
        first = peers_of(run.network)[0]
        org = next(o for o in run.network.peer_orgs if o.msp_id == first.msp_id)
        material = load_member(run.nodes.crypto_dir, first.msp_id, org.clients[0],
                               run.network.msp_ids)
        async with await Gateway.connect(first.address, material.identity, material.tls) as gateway:
            listener = BlockListener(gateway.network(run.network.channel))
            listener.start()
            try:
                driver = RoundDriver(run, statuses, pool, listener, cost, progress)
                return [await driver(index, spec) for index, spec in enumerate(rounds)]
            finally:
                await listener.stop()
    finally:
        if pool is not None:
            pool.stop()
        run.nodes.down()


def crypto_summary(cost: crypto.CryptoCost) -> dict[str, object]:
    return {**asdict(cost), "library": "PyNaCl (libsodium), as the nodes use", "method": crypto.__doc__}
