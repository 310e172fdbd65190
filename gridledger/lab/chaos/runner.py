"""One chaos run: start the network, deploy the workload's chaincode, then for each seeded schedule send the
workload while its faults are injected, heal, wait until the network serves again, read every chain back and judge
the schedule; at the end judge every acknowledgement against the full chains and run `ledger verify`.

Schedules run one after another on the same network (a fresh network per schedule would spend most of the run
starting nodes); each one's check covers the blocks written since it started, and the final check covers them all,
which is what "nothing acknowledged is lost across restarts" needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from gridledger.lab.bench.workloads import workload_class
from gridledger.lab.chaos.checker import Verdict, judge, max_stall, state_hash_mismatches
from gridledger.lab.chaos.history import History
from gridledger.lab.chaos.inject import FaultDriver, Injector, Unsupported
from gridledger.lab.chaos.ledgers import read_chains, state_hashes
from gridledger.lab.chaos.schedule import KINDS, Fault, Schedule, generate
from gridledger.lab.chaos.workload import ChaosWorkload
from gridledger.ops.deploy import NetworkClients, deploy, peers_of
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.ops.verify import verify_network

logger = logging.getLogger("gridledger.lab.chaos")

RECOVERY_TIMEOUT_S = 90.0
HEIGHT_POLL_S = 0.25
START_TIMEOUT_S = 90.0


@dataclass(frozen=True)
class ChaosSpec:
    network_file: Path
    data_dir: Path
    out_dir: Path
    orchestrator: Literal["local", "docker"] = "local"
    seed: int = 1
    schedules: int = 1
    duration_s: float = 10.0
    workload: str = "kv-blind-write"
    options: dict = field(default_factory=dict)
    kinds: tuple[str, ...] = KINDS
    disk_full: bool = False  # local: mount a size-capped tmpfs per node (needs root)
    keep: bool = False  # leave the network running afterwards


@dataclass
class ScheduleResult:
    index: int
    faults: list[str]
    acked: int = 0
    committed: int = 0
    lost: int = 0
    duplicated: int = 0
    forks: int = 0
    max_stall_s: float = 0.0
    recovery_s: float | None = None
    exited: list[str] = field(default_factory=list)  # nodes that stopped on their own and were restarted
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.forks or self.problems) and self.recovery_s is not None


@dataclass
class RunResult:
    consensus: str
    orchestrator: str
    seed: int
    workload: str
    kinds: list[str]
    left_out: dict[str, str]
    schedules: list[ScheduleResult] = field(default_factory=list)
    final_problems: list[str] = field(default_factory=list)
    acked: int = 0
    lost: int = 0
    forks: int = 0

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.schedules) and not self.final_problems

    def to_json(self) -> dict:
        return {**asdict(self), "ok": self.ok}


class _Network:
    """Starting and stopping the network of a run, with its injector (local processes or containers)."""

    def __init__(self, spec: ChaosSpec) -> None:
        self.spec = spec
        self.injector: Injector | None = None
        self._stop: Callable[[], None] | None = None

    def start(self) -> tuple[NetworkDefinition, Path, Injector]:
        if self.spec.orchestrator == "docker":
            from gridledger.lab.chaos.inject.docker import DockerInjector
            from gridledger.ops.docker.project import DockerNetwork

            docker = DockerNetwork(self.spec.data_dir)
            self._stop = lambda: docker.down(purge=not self.spec.keep)
            docker.up(self.spec.network_file, timeout=START_TIMEOUT_S * 2)
            self.injector = DockerInjector(docker)
            return docker.definition(), docker.layout.crypto_dir, self.injector
        from gridledger.lab.chaos.inject.local import LocalInjector
        from gridledger.ops.localnet import LocalNetwork

        local = LocalNetwork(self.spec.data_dir)
        network = local.prepare(self.spec.network_file)
        self._stop = local.down
        injector = LocalInjector(local, with_tmpfs=self.spec.disk_full)
        self.injector = injector
        injector.enable_fault_injection()
        local.check_ports_free(network)
        for _, role, node in network.all_nodes():
            local.start_node(node.name, role)
        local.wait_healthy(network, START_TIMEOUT_S)
        return network, local.crypto_dir, injector

    def stop(self) -> None:
        if not self.spec.keep and self._stop is not None:
            self._stop()
        if self.injector is not None and not self.spec.keep:
            self.injector.close()


async def _wait_converged(injector: Injector, timeout: float) -> bool:
    """Every node healthy and at one height."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        heights = await asyncio.to_thread(injector.heights)
        if None not in heights.values() and len(set(heights.values())) == 1:
            return True
        await asyncio.sleep(HEIGHT_POLL_S)
    return False


class ChaosRunner:
    def __init__(self, spec: ChaosSpec, progress: Callable[[str], None] = lambda _: None) -> None:
        self.spec = spec
        self.progress = progress
        self.history = History(spec.out_dir / "history.jsonl")

    async def _run_faults(self, driver: FaultDriver, schedule: Schedule, started: float,
                          result: ScheduleResult) -> None:
        loop = asyncio.get_running_loop()
        for fault in schedule.faults:
            await asyncio.sleep(max(0.0, started + fault.start_s - loop.time()))
            active: Fault | None = None
            try:
                await asyncio.to_thread(driver.begin, fault)
                active = fault
                self.history.record("fault", schedule=schedule.index, fault=fault.to_json())
                await asyncio.sleep(max(0.0, started + fault.end_s - loop.time()))
            except (Unsupported, OSError) as exc:
                result.problems.append(f"{fault.describe()}: {exc}")
            finally:
                if active is not None:
                    try:
                        await asyncio.to_thread(driver.end, active)
                        self.history.record("heal", schedule=schedule.index, fault=active.to_json())
                        await self._restart_exited(driver.injector, schedule, result)
                    except (Unsupported, OSError) as exc:
                        result.problems.append(f"healing {fault.describe()}: {exc}")

    async def _restart_exited(self, injector: Injector, schedule: Schedule, result: ScheduleResult) -> None:
        """Restart every node that exited, as a supervisor would. A node that stopped itself because its disk was
        full (in this schedule) is the designed fail-stop; any other exit is a finding."""
        for node in sorted(set(injector.roles) - await asyncio.to_thread(injector.running)):
            filled = [f for f in schedule.faults if f.kind == "disk-full" and node in f.nodes]
            self.history.record("exited", schedule=schedule.index, node=node, expected=bool(filled))
            result.exited.append(node)
            if not filled:
                result.problems.append(f"{node} exited during schedule {schedule.index}")
            await asyncio.to_thread(injector.restart, node)

    async def _supervise(self, injector: Injector, schedule: Schedule, result: ScheduleResult) -> None:
        """Keep restarting nodes that exit while the network recovers: a fail-stop can come after the fault that
        caused it was healed (the peer was still shutting down when its disk was freed)."""
        while True:
            await self._restart_exited(injector, schedule, result)
            await asyncio.sleep(HEIGHT_POLL_S)

    async def _schedule(self, index: int, workload: ChaosWorkload, driver: FaultDriver, injector: Injector,
                        clients: NetworkClients, kinds: tuple[str, ...]) -> ScheduleResult:
        schedule = generate(self.spec.seed, index, driver.topology, self.spec.duration_s, kinds)
        result = ScheduleResult(index, [fault.describe() for fault in schedule.faults])
        heights = await asyncio.to_thread(injector.heights)
        start_height = min(h for h in heights.values() if h is not None)
        acks_before = len(workload.acks)
        began = self.history.now()
        self.history.record("schedule-start", schedule=index, faults=[f.to_json() for f in schedule.faults])
        loop = asyncio.get_running_loop()
        started = loop.time()
        traffic = asyncio.create_task(workload.run_for(self.spec.duration_s))
        await self._run_faults(driver, schedule, started, result)
        await traffic
        healed = self.history.now()
        supervisor = asyncio.create_task(self._supervise(injector, schedule, result))
        try:
            await asyncio.wait_for(workload.probe_all(), RECOVERY_TIMEOUT_S)
            converged = await _wait_converged(injector, RECOVERY_TIMEOUT_S)
        except TimeoutError:
            converged = False
        finally:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        recovered = self.history.now()
        if converged:
            result.recovery_s = round(recovered - healed, 3)
        else:
            result.problems.append(f"the network did not serve again and converge within {RECOVERY_TIMEOUT_S:.0f} s "
                                   f"of healing; heights {await asyncio.to_thread(injector.heights)}")
        self.history.record("recovered" if converged else "not-recovered", schedule=index)
        chains = await read_chains(clients, start_height)
        verdict = judge(workload.acks[acks_before:], chains, [peer.name for peer in peers_of(clients.network)])
        verdict.problems += state_hash_mismatches(await state_hashes(clients))
        self._fill(result, verdict)
        result.max_stall_s = round(max_stall(workload.block_times, began, recovered), 3)
        self.history.record("schedule-end", schedule=index, ok=result.ok, problems=result.problems)
        return result

    @staticmethod
    def _fill(result: ScheduleResult, verdict: Verdict) -> None:
        result.acked, result.committed = verdict.acked, verdict.committed
        result.lost, result.duplicated, result.forks = len(verdict.lost), len(verdict.duplicated), len(verdict.forks)
        result.problems += verdict.lines(limit=5)

    async def run(self) -> RunResult:
        network_runner = _Network(self.spec)
        try:
            network, crypto_dir, injector = await asyncio.to_thread(network_runner.start)
            kinds = tuple(kind for kind in self.spec.kinds if kind in injector.supported)
            left_out = {kind: injector.unsupported_reasons.get(kind, "not asked for")
                        for kind in KINDS if kind not in kinds}
            if not kinds:
                raise Unsupported(f"none of the fault kinds asked for can be injected here: {left_out}")
            result = RunResult(network.consensus.type, self.spec.orchestrator, self.spec.seed, self.spec.workload,
                               list(kinds), left_out)
            clients = NetworkClients(network, crypto_dir)
            cls = workload_class(self.spec.workload)
            self.progress(f"deploying {cls.chaincode}")
            await deploy(clients, cls.chaincode, cls.chaincode_path, "1.0", network.policies.endorsement)
            workload = ChaosWorkload(clients, self.spec.workload, self.spec.options, self.history,
                                     f"chaos{self.spec.seed}")
            await workload.open()
            heights = await asyncio.to_thread(injector.heights)
            workload.follow_commits(min(h for h in heights.values() if h is not None))
            driver = FaultDriver(injector, injector.topology())
            try:
                for index in range(self.spec.schedules):
                    outcome = await self._schedule(index, workload, driver, injector, clients, kinds)
                    result.schedules.append(outcome)
                    self.progress(f"schedule {index}: {'ok' if outcome.ok else 'FAILED'}; "
                                  f"{outcome.acked} acked, {outcome.lost} lost, {outcome.forks} forks, "
                                  f"recovery {outcome.recovery_s} s")
                await self._final_check(clients, workload, result)
            finally:
                await workload.close()
            return result
        finally:
            self.history.close()
            await asyncio.to_thread(network_runner.stop)

    async def _final_check(self, clients: NetworkClients, workload: ChaosWorkload, result: RunResult) -> None:
        """Every acknowledgement of the run against every node's full chain, and `ledger verify`."""
        self.progress("final check: every chain from block 0, and ledger verify")
        verdict = judge(workload.acks, await read_chains(clients, 0),
                        [peer.name for peer in peers_of(clients.network)])
        result.acked, result.lost, result.forks = verdict.acked, len(verdict.lost), len(verdict.forks)
        result.final_problems = verdict.lines()
        report = await verify_network(clients)
        result.final_problems += [f"ledger verify: {problem}" for problem in report.problems]
        self.history.record("final", ok=result.ok, problems=result.final_problems)


def save_result(result: RunResult, out_dir: Path) -> Path:
    path = out_dir / "result.json"
    path.write_text(json.dumps(result.to_json(), indent=2))
    return path
