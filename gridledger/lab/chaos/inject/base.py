"""What an injector can do to a network's nodes, and the driver that turns a schedule's faults into those calls.

An injector acts on one orchestrator (local processes, containers); the driver knows the fault kinds and what
undoes each, so both orchestrators heal alike. Kinds an injector cannot do are named in `supported`; the runner
draws schedules from those only and says which were left out.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

from gridledger.common.linkfaults import LinkFault
from gridledger.common.nodeconfig import NodeConfig
from gridledger.lab.chaos.profiles import PROFILES
from gridledger.lab.chaos.schedule import KINDS, Fault, Topology
from gridledger.ops.netconfig import NetworkDefinition

HEALTH_POLL_S = 0.2


class Unsupported(Exception):
    """A fault this injector cannot apply here; the message says why."""


def rewrite_node_config(path: Path, **changes: object) -> None:
    """Change fields of the node config at `path`, checked again as a whole (a clock offset needs fault_injection);
    the node reads it at its next start."""
    config = NodeConfig.load(path)
    NodeConfig.model_validate({**config.model_dump(), **changes}).save(path)


class Injector(ABC):
    """Faults on the nodes of one running network, by node name."""

    supported: tuple[str, ...] = KINDS
    unsupported_reasons: dict[str, str]

    def __init__(self, network: NetworkDefinition) -> None:
        self.network = network
        self.roles = {node.name: role for _, role, node in network.all_nodes()}
        self.operations_ports = {node.name: node.operations_port for _, _, node in network.all_nodes()}
        self.unsupported_reasons = {}
        missing = sorted(name for name, port in self.operations_ports.items() if not port)
        if missing:
            raise Unsupported(f"node(s) {', '.join(missing)} have no operations_port; a chaos run reads every "
                              "node's height from /healthz")

    def topology(self) -> Topology:
        return Topology(self.network.consensus.type, tuple(n.name for _, n in self.network.orderer_nodes()),
                        tuple(n.name for org in self.network.peer_orgs for n in org.peers))

    @abstractmethod
    def running(self) -> set[str]:
        """The nodes whose process (container) is running."""

    @abstractmethod
    def kill(self, node: str) -> None: ...

    @abstractmethod
    def restart(self, node: str) -> None:
        """Start a killed node again (returns once it is started, not yet healthy)."""

    @abstractmethod
    def pause(self, node: str) -> None: ...

    @abstractmethod
    def resume(self, node: str) -> None: ...

    @abstractmethod
    def partition(self, group: Sequence[str], rest: Sequence[str]) -> None: ...

    @abstractmethod
    def heal_partition(self, group: Sequence[str], rest: Sequence[str]) -> None: ...

    @abstractmethod
    def shape(self, nodes: Sequence[str], profile: LinkFault) -> None:
        """Every link of `nodes` (both directions) behaves as `profile`."""

    @abstractmethod
    def unshape(self, nodes: Sequence[str]) -> None: ...

    def skew_clock(self, node: str, seconds: float) -> None:
        raise Unsupported(self.unsupported_reasons.get("clock-skew", "clock skew is not supported here"))

    def fill_disk(self, node: str) -> None:
        raise Unsupported(self.unsupported_reasons.get("disk-full", "disk full is not supported here"))

    def free_disk(self, node: str) -> None:
        raise Unsupported(self.unsupported_reasons.get("disk-full", "disk full is not supported here"))

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Undo whatever the injector set up for the run (mounts)."""

    # ----- reading the nodes -----

    def health(self, node: str) -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.operations_ports[node]}/healthz",
                                        timeout=1) as response:
                return json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def heights(self) -> dict[str, int | None]:
        return {node: (health or {}).get("height") for node, health in
                ((node, self.health(node)) for node in self.roles)}

    def wait_healthy(self, nodes: Sequence[str], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self.health(node) is not None for node in nodes):
                return True
            time.sleep(HEALTH_POLL_S)
        return False


class FaultDriver:
    """Begins and ends a schedule's faults on an injector; `end` undoes exactly what `begin` did."""

    def __init__(self, injector: Injector, topology: Topology) -> None:
        self.injector = injector
        self.topology = topology

    def _rest(self, group: Sequence[str]) -> list[str]:
        return [node for node in self.topology.nodes if node not in group]

    def _actions(self, fault: Fault) -> tuple[Callable[[], None], Callable[[], None]]:
        """What begins `fault` and what undoes it, side by side."""
        injector, node, group = self.injector, fault.nodes[0], fault.nodes
        rest = self._rest(group)
        actions = {
            "kill": (lambda: injector.kill(node), lambda: injector.restart(node)),
            "pause": (lambda: injector.pause(node), lambda: injector.resume(node)),
            "partition": (lambda: injector.partition(group, rest), lambda: injector.heal_partition(group, rest)),
            "link": (lambda: injector.shape(group, PROFILES[fault.profile]), lambda: injector.unshape(group)),
            "clock-skew": (lambda: injector.skew_clock(node, fault.skew_s), lambda: injector.skew_clock(node, 0.0)),
            "disk-full": (lambda: injector.fill_disk(node), lambda: injector.free_disk(node)),
        }
        if fault.kind not in actions:
            raise Unsupported(f"unknown fault kind {fault.kind!r}")
        return actions[fault.kind]

    def begin(self, fault: Fault) -> None:
        self._actions(fault)[0]()

    def end(self, fault: Fault) -> None:
        self._actions(fault)[1]()
