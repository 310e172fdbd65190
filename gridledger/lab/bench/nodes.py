"""The network under test, as local processes or containers: start it fresh, say where its crypto material and
operations endpoints are, measure its processes, stop it. The bench owns the data folder, so every run starts
from an empty chain."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

from gridledger.lab.bench.resources import ContainerSampler, ProcessSampler, ResourceSampler
from gridledger.ops.docker import DockerNetwork
from gridledger.ops.localnet import LocalNetwork, NodeStatus

UP_TIMEOUT = 120.0


class Nodes(ABC):
    runtime: str

    @property
    @abstractmethod
    def crypto_dir(self) -> Path: ...

    @abstractmethod
    def up(self, network_file: Path) -> list[NodeStatus]: ...

    @abstractmethod
    def down(self) -> None: ...

    @abstractmethod
    def sampler(self, statuses: list[NodeStatus]) -> ResourceSampler:
        """A resource sampler over every node (the bench's own workers are measured separately, by pid)."""


class LocalNodes(Nodes):
    runtime = "local"

    def __init__(self, data_dir: Path) -> None:
        self._network = LocalNetwork(data_dir)

    @property
    def crypto_dir(self) -> Path:
        return self._network.crypto_dir

    def up(self, network_file: Path) -> list[NodeStatus]:
        self._network.down(purge=True)
        return self._network.up(network_file, timeout=UP_TIMEOUT, rest=False)

    def down(self) -> None:
        self._network.down()

    def sampler(self, statuses: list[NodeStatus]) -> ResourceSampler:
        return ProcessSampler({s.name: s.pid for s in statuses if s.pid})


class DockerNodes(Nodes):
    """Containers (`make images` first), measured with `docker stats`."""

    runtime = "docker"

    def __init__(self, data_dir: Path) -> None:
        self._network = DockerNetwork(data_dir)

    @property
    def crypto_dir(self) -> Path:
        return self._network.layout.crypto_dir

    def up(self, network_file: Path) -> list[NodeStatus]:
        if self._network.layout.project_file.exists():
            self._network.down(purge=True)
        return self._network.up(network_file, timeout=UP_TIMEOUT)

    def down(self) -> None:
        self._network.down(purge=True)

    def sampler(self, statuses: list[NodeStatus]) -> ResourceSampler:
        containers = self._network.project().containers()
        return ContainerSampler({s.name: containers[s.name].id for s in statuses if s.name in containers})
