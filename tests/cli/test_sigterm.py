"""SIGTERM to a command that started a network for itself stops that network's processes too (cli/app.py): a
`gridledger bench` terminated mid-round leaves no orderer, peer or chaincode worker of its run behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults]  # about 26 s: in make test-faults, for make test's time
REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 90


def _processes_of(folder: Path) -> list[psutil.Process]:
    """Processes whose command line names `folder`: the run's nodes and their chaincode workers."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(str(folder) in part for part in process.info["cmdline"] or []):
            found.append(process)
    return found


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _terminate_when(ready: Callable[[Path, int], None], out: Path) -> None:
    """Start a bench writing to `out`, SIGTERM it once `ready(out, bench_pid)` returns, and expect it to exit by the
    signal and leave no process of its run behind."""
    bench = subprocess.Popen(
        [sys.executable, "-c", "from gridledger.cli.app import main; main()", "bench", "--network",
         str(REPO / "deploy" / "networks" / "dev.yaml"), "--free-ports", "--duration", "60", "--rate-control",
         "fixed-rate:20", "--out", str(out)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ready(out, bench.pid)
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(TIMEOUT_S) == 128 + signal.SIGTERM
        _until(lambda: not _processes_of(out), "every process of the run is gone")
    finally:
        bench.kill()
        for process in _processes_of(out):
            process.kill()


def _nodes_of(out: Path, bench_pid: int) -> list[psutil.Process]:
    return [p for p in _processes_of(out) if p.pid != bench_pid]


def _rounds_started(out: Path, bench_pid: int) -> None:
    _until(lambda: len(_nodes_of(out, bench_pid)) >= 2, "the network's nodes run")
    _until(lambda: any("worker" in " ".join(p.cmdline()) for p in _processes_of(out)), "kv is installed")


def _first_node_started(out: Path, bench_pid: int) -> None:
    _until(lambda: _nodes_of(out, bench_pid), "the first node was started")


def test_a_terminated_bench_stops_the_network_it_started(tmp_path: Path) -> None:
    _terminate_when(_rounds_started, tmp_path / "bench")


def test_a_bench_terminated_while_its_network_starts_stops_the_nodes_started_so_far(tmp_path: Path) -> None:
    _terminate_when(_first_node_started, tmp_path / "bench")
