"""CPU and memory of every node process (and the bench's own workers) during a round.

Local processes are measured with psutil by pid, children included: CPU seconds from the kernel's accounting
(exact, however coarse the sampling), memory as resident set size sampled every second, and of it the anonymous
part (heap and stacks: what a leak grows) apart from the file-backed pages (mapped code and LevelDB's mapped
tables, which the kernel reclaims under pressure). Containers are sampled with
`docker stats --no-stream` (the engine's view, including everything in the container).
CPU percent is of one core, as `top` shows it: 200% means two cores busy.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

import psutil

INTERVAL = 1.0
MIB = 1024 * 1024


class ResourceSampler(ABC):
    """Samples in a background thread between start() and stop()."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="bench-resources")
        self._started = 0.0

    def start(self) -> None:
        self._started = time.monotonic()
        self._begin()
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(INTERVAL):
            self._sample()

    def stop(self) -> dict[str, dict[str, float]]:
        """Per process or container: cpu_percent (mean), rss_mib_max and rss_mib_end (and for local processes
        anon_mib_end)."""
        self._stop.set()
        self._thread.join()
        self._sample()
        return self._result(time.monotonic() - self._started)

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _sample(self) -> None: ...

    @abstractmethod
    def _result(self, wall: float) -> dict[str, dict[str, float]]: ...


class ProcessSampler(ResourceSampler):
    """Each named process, with `children` its descendants too (a peer's chaincode workers count as the peer's):
    CPU seconds from the kernel's accounting, resident memory summed over the tree."""

    def __init__(self, pids: Mapping[str, int], children: bool = True) -> None:
        super().__init__()
        self._children = children
        self._roots: dict[str, psutil.Process] = {}
        for name, pid in pids.items():
            try:
                self._roots[name] = psutil.Process(pid)
            except psutil.NoSuchProcess:
                continue
        self._start_wall = 0.0
        self._cpu_start: dict[int, float] = {}
        self._cpu_last: dict[str, dict[int, float]] = {name: {} for name in self._roots}
        self._rss: dict[str, list[float]] = {name: [] for name in self._roots}
        self._anon: dict[str, float] = {}

    def _tree(self, root: psutil.Process) -> list[psutil.Process]:
        if not self._children:
            return [root]
        try:
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return [root]

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def _begin(self) -> None:
        self._start_wall = time.time()
        for root in self._roots.values():
            for process in self._tree(root):
                try:
                    self._cpu_start[process.pid] = self._cpu(process)
                except psutil.Error:
                    continue

    def _sample(self) -> None:
        for name, root in self._roots.items():
            rss = anon = 0.0
            for process in self._tree(root):
                try:
                    self._cpu_last[name][process.pid] = self._cpu(process)
                    memory = process.memory_info()
                    rss += memory.rss / MIB
                    anon += (memory.rss - getattr(memory, "shared", 0)) / MIB  # Linux: shared = file + shmem
                    # a process started during the round (a replaced chaincode worker) used all its CPU in it
                    if process.pid not in self._cpu_start and process.create_time() >= self._start_wall:
                        self._cpu_start[process.pid] = 0.0
                except psutil.Error:
                    continue
            if rss:
                self._rss[name].append(rss)
                self._anon[name] = anon

    def _result(self, wall: float) -> dict[str, dict[str, float]]:
        result = {}
        for name, last in self._cpu_last.items():
            if last and self._rss[name]:
                cpu = sum(value - self._cpu_start[pid] for pid, value in last.items() if pid in self._cpu_start)
                result[name] = {"cpu_seconds": cpu, "cpu_percent": 100 * cpu / max(wall, 1e-9),
                                "rss_mib_max": max(self._rss[name]), "rss_mib_end": self._rss[name][-1],
                                "anon_mib_end": self._anon[name]}
        return result


def _mib(text: str) -> float:
    """docker stats sizes such as '512KiB', '81.2MiB', '1.5GiB', '12MB' in MiB."""
    units = {"b": 1 / MIB, "kib": 1 / 1024, "mib": 1, "gib": 1024, "kb": 1e3 / MIB, "mb": 1e6 / MIB,
             "gb": 1e9 / MIB}
    text = text.strip()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return float(number) * units.get(text[len(number):].lower(), 1)


class ContainerSampler(ResourceSampler):
    def __init__(self, containers: Mapping[str, str]) -> None:
        super().__init__()
        self._names = {container: name for name, container in containers.items()}
        self._cpu: dict[str, list[float]] = {name: [] for name in containers}
        self._rss: dict[str, list[float]] = {name: [] for name in containers}

    def _begin(self) -> None:
        """docker stats needs no baseline: every sample is the engine's own rate."""

    def _sample(self) -> None:
        if not self._names:
            return
        result = subprocess.run(["docker", "stats", "--no-stream", "--format", "{{json .}}", *self._names],
                                capture_output=True, text=True, timeout=30, check=False)
        for line in result.stdout.splitlines():
            row = json.loads(line)
            name = self._names.get(row.get("ID", "")) or next(
                (n for c, n in self._names.items() if c.startswith(row.get("ID", "-"))), None)
            if name is None:
                continue
            self._cpu[name].append(float(row["CPUPerc"].rstrip("%") or 0))
            self._rss[name].append(_mib(row["MemUsage"].split("/")[0]))

    def _result(self, wall: float) -> dict[str, dict[str, float]]:
        return {name: {"cpu_percent": sum(cpu) / len(cpu), "rss_mib_max": max(self._rss[name]),
                       "rss_mib_end": self._rss[name][-1]}
                for name, cpu in self._cpu.items() if cpu}
