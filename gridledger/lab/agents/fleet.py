"""The agent processes of one experiment run: where they run (`--agents inline|local:N|docker:N`), starting one per
slice, telling the runner when every process finished a slot's step (progress.py), and collecting their records.

`local:N` starts N subprocesses of `gridledger agents serve` on this machine; `docker:N` starts N containers from
the nodes' image on the network's Docker network (the Compose project's, or a swarm stack's attachable overlay;
ops/docker/workers.py), with the shared experiment folder and
their own slice folder mounted read-only and their records folder writable. Either way each process gets only its
own slice's keys (slice.py) and writes transactions.csv and agent.log into run_dir/agents/slice-K/records/.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from gridledger.common.grpcutil import TlsMaterial
from gridledger.common.material import ADMIN, load_member, tls_roots
from gridledger.lab.agents import progress
from gridledger.lab.agents.records import TxRecord, read_records
from gridledger.lab.agents.serve import RECORDS_FILE
from gridledger.lab.agents.slice import format_range, split_range, write_slice
from gridledger.lab.population import Household
from gridledger.ops.docker import engine
from gridledger.ops.docker.material import DockerError
from gridledger.ops.docker.workers import Mount, Worker, exit_code, remove_worker, start_worker
from gridledger.ops.netconfig import NetworkDefinition

INLINE, LOCAL, DOCKER = "inline", "local", "docker"
MAX_PROCESSES = 64
AGENT_LOG = "agent.log"
POLL_S = 0.2
_PLACEMENT = re.compile(r"^(local|docker):(\d+)$")
# Where a container sees its folders.
EXPERIMENT_MOUNT, SLICE_MOUNT, RECORDS_MOUNT = "/experiment", "/slice", "/records"


class AgentProcessError(RuntimeError):
    """An agent process failed or could not be started; the message carries the end of its output."""


@dataclass(frozen=True)
class Placement:
    where: str = INLINE
    count: int = 0

    def __str__(self) -> str:
        return self.where if self.where == INLINE else f"{self.where}:{self.count}"


IN_RUNNER = Placement()


def parse_placement(text: str) -> Placement:
    """`inline` (the agents run inside the runner), `local:N` or `docker:N` with 1 <= N <= 64."""
    if text.strip() == INLINE:
        return IN_RUNNER
    match = _PLACEMENT.match(text.strip())
    if match is None:
        raise ValueError(f"--agents {text!r}: expected inline, local:N or docker:N (N agent processes)")
    count = int(match.group(2))
    if not 1 <= count <= MAX_PROCESSES:
        raise ValueError(f"--agents {text!r}: N must be 1 to {MAX_PROCESSES}, got {count}")
    return Placement(match.group(1), count)


@dataclass(frozen=True)
class SliceRun:
    """One agent process's folders and households (community indices)."""

    index: int
    households: range
    slice_dir: Path
    records_dir: Path


def serve_arguments(spec: str, run: SliceRun, slice_dir: str, records_dir: str, started_at: float) -> list[str]:
    """`agents serve`'s arguments for `run`, with the folders as the process sees them."""
    return ["agents", "serve", "--spec", spec, "--households", format_range(run.households), "--slice", slice_dir,
            "--out", records_dir, "--started-at", f"{started_at:.6f}"]


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


class AgentFleet:
    """Started agent processes; subclasses say how a process starts, is polled and is stopped."""

    def __init__(self, runs: list[SliceRun]) -> None:
        self.runs = runs

    def _exit_code(self, run: SliceRun) -> int | None:
        raise NotImplementedError

    def _output(self, run: SliceRun) -> str:
        path = run.records_dir / AGENT_LOG
        return path.read_text(errors="replace") if path.exists() else ""

    def check(self) -> None:
        """Raise AgentProcessError if a process failed (exited with a non-zero status)."""
        for run in self.runs:
            code = self._exit_code(run)
            if code not in (None, 0):
                raise AgentProcessError(f"agent process {run.index} (households {format_range(run.households)}) "
                                        f"exited with status {code}; its last lines:\n{_tail(self._output(run))}")

    async def reached(self, step: str, slot: int) -> None:
        """Until every process marked `step` of `slot` done (or failed, which raises)."""
        while not all((step, slot) in progress.finished(run.records_dir) for run in self.runs):
            self.check()
            await asyncio.sleep(POLL_S)

    async def finish(self, timeout: float = 300.0) -> list[TxRecord]:
        """Wait for every process to exit after its last slot; their records, in submission order."""
        deadline = time.monotonic() + timeout
        while any(self._exit_code(run) is None for run in self.runs):
            self.check()
            if time.monotonic() > deadline:
                raise AgentProcessError(f"agent processes still run {timeout:.0f}s after the last slot")
            await asyncio.sleep(POLL_S)
        self.check()
        records: list[TxRecord] = []
        for run in self.runs:
            records += read_records(run.records_dir / RECORDS_FILE)
        return sorted(records, key=lambda record: record.submitted_s)

    def stop(self) -> None:
        raise NotImplementedError


class LocalAgents(AgentFleet):
    """Subprocesses of this Python, started in the shared experiment folder (relative spec paths resolve there)."""

    def __init__(self, runs: list[SliceRun], experiment_dir: Path, started_at: float) -> None:
        super().__init__(runs)
        self._processes: dict[int, subprocess.Popen] = {}
        for run in runs:
            arguments = serve_arguments("spec.yaml", run, str(run.slice_dir), str(run.records_dir), started_at)
            with (run.records_dir / AGENT_LOG).open("ab") as log:
                self._processes[run.index] = subprocess.Popen(
                    [sys.executable, "-m", "gridledger.cli.agents", *arguments], cwd=experiment_dir, stdout=log,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def _exit_code(self, run: SliceRun) -> int | None:
        return self._processes[run.index].poll()

    def stop(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self._processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class DockerAgents(AgentFleet):
    """Containers `<project>-agents-K` from `image` on Docker network `network`, running as this user (so what they
    write into the run directory is ours)."""

    def __init__(self, runs: list[SliceRun], experiment_dir: Path, started_at: float, image: str, project: str,
                 network: str) -> None:
        super().__init__(runs)
        self._workers: dict[int, Worker] = {}
        try:
            for run in runs:
                arguments = serve_arguments(f"{EXPERIMENT_MOUNT}/spec.yaml", run, SLICE_MOUNT, RECORDS_MOUNT,
                                            started_at)
                mounts = [Mount(experiment_dir, EXPERIMENT_MOUNT), Mount(run.slice_dir, SLICE_MOUNT),
                          Mount(run.records_dir, RECORDS_MOUNT, read_only=False)]
                self._workers[run.index] = start_worker(image, f"{project}-agents-{run.index}", ["cli", *arguments],
                                                        network, mounts, working_dir=EXPERIMENT_MOUNT,
                                                        user=f"{os.getuid()}:{os.getgid()}")
        except DockerError as exc:
            self.stop()
            raise AgentProcessError(str(exc)) from None

    def _exit_code(self, run: SliceRun) -> int | None:
        return exit_code(self._workers[run.index])

    def _output(self, run: SliceRun) -> str:
        return engine.logs(self._workers[run.index].id, 200)

    def stop(self) -> None:
        """Remove every container, keeping its output in the slice's agent.log."""
        for index, worker in self._workers.items():
            run = next(run for run in self.runs if run.index == index)
            try:
                (run.records_dir / AGENT_LOG).write_text(remove_worker(worker))
            except DockerError:
                continue  # already gone: nothing left to keep
        self._workers.clear()


@dataclass(frozen=True)
class Launch:
    """What a run hands its agent processes: the spec as run (its trace path relative to the experiment folder),
    the trace file, the community and the network."""

    spec_yaml: str
    trace_file: Path
    households: list[Household]
    network: NetworkDefinition
    crypto_dir: Path
    started_at: float


def gateway_addresses(network: NetworkDefinition, in_containers: bool) -> dict[str, str]:
    """Each peer org's first peer as an agent process reaches it: on 127.0.0.1 from this machine, by service name
    from a container on the project's network (the port is the same inside)."""
    host = {org.msp_id: (org.peers[0].name, org.peers[0].port) for org in network.peer_orgs}
    return {msp_id: f"{name if in_containers else '127.0.0.1'}:{port}" for msp_id, (name, port) in host.items()}


def client_tls(network: NetworkDefinition, crypto_dir: Path) -> dict[str, TlsMaterial]:
    """Each peer org's client TLS pair for agent connections: its first listed client's (the admin's when it
    lists none). Only the TLS pair is handed over, never that member's signing key."""
    chosen = {org.msp_id: (org.clients[0] if org.clients else ADMIN) for org in network.peer_orgs}
    return {msp_id: load_member(crypto_dir, msp_id, name, network.msp_ids).tls for msp_id, name in chosen.items()}


def write_slices(agents_dir: Path, launch: Launch, count: int, in_containers: bool) -> list[SliceRun]:
    """The experiment folder (spec.yaml, trace.csv) and one slice folder with an empty records folder per
    process."""
    experiment_dir = agents_dir / "experiment"
    experiment_dir.mkdir(parents=True, exist_ok=True)
    (experiment_dir / "spec.yaml").write_text(launch.spec_yaml)
    (experiment_dir / "trace.csv").write_bytes(launch.trace_file.read_bytes())
    gateways = gateway_addresses(launch.network, in_containers)
    tls = client_tls(launch.network, launch.crypto_dir)
    roots = tls_roots(launch.crypto_dir, launch.network.msp_ids)
    runs = []
    for index, households in enumerate(split_range(len(launch.households), count)):
        folder = agents_dir / f"slice-{index}"
        slice_dir = write_slice(folder / "slice", households.start, launch.households[households.start:households.stop],
                                launch.network.channel, gateways, tls, roots)
        records_dir = folder / "records"
        records_dir.mkdir(parents=True, exist_ok=True)
        for stale in (records_dir / RECORDS_FILE, records_dir / progress.PROGRESS_FILE, records_dir / AGENT_LOG):
            stale.unlink(missing_ok=True)
        runs.append(SliceRun(index, households, slice_dir, records_dir))
    return runs


def launch_agents(placement: Placement, agents_dir: Path, launch: Launch, *, project: str | None = None,
                  image: str | None = None, network: str | None = None) -> AgentFleet:
    """Start `placement.count` agent processes over the community; `docker` needs the Compose project or swarm
    stack the network runs as (it names the containers), the image its nodes run and the Docker network the
    containers join."""
    if placement.where == LOCAL:
        runs = write_slices(agents_dir, launch, placement.count, in_containers=False)
        return LocalAgents(runs, agents_dir / "experiment", launch.started_at)
    if placement.where == DOCKER:
        if project is None or image is None or network is None:
            raise AgentProcessError("agents in containers need the network in containers (experiment run --docker "
                                    "or --swarm)")
        runs = write_slices(agents_dir, launch, placement.count, in_containers=True)
        return DockerAgents(runs, agents_dir / "experiment", launch.started_at, image, project, network)
    raise AgentProcessError(f"agents placed {placement} run inside the runner, not as processes")
