"""Faults on a container network (ops/docker/project.py): the engine's kill, start, pause and network
disconnect/connect, and link profiles shaped inside each container's network namespace (nsenter into the
container's main process): a tbf qdisc caps the bandwidth of what the node sends, an iptables `statistic` rule
drops that share of what it receives.

Limits, said where a run reports them: this kernel has no netem, so a profile's delay and jitter are not applied in
containers; a partitioned group is disconnected node by node, so its members lose each other too; disk full needs a
size-capped data volume the compose file does not give, so it is not drawn here. Clock skew restarts the container
with a clock offset in its node config: the node folder is bind-mounted from the host, so the container reads the
host's file at start.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from gridledger.common.linkfaults import LinkFault
from gridledger.lab.chaos.inject.base import Injector, Unsupported, rewrite_node_config
from gridledger.ops.docker import engine
from gridledger.ops.docker.project import DockerNetwork

LOSS_CHAIN_COMMENT = "gridledger-chaos"


class DockerInjector(Injector):
    def __init__(self, docker: DockerNetwork) -> None:
        super().__init__(docker.definition())
        self.docker = docker
        self._networks: dict[str, list[str]] = {}
        self.unsupported_reasons["disk-full"] = ("disk full needs a size-capped tmpfs data volume, which the compose "
                                                 "file does not mount")
        self.supported = tuple(kind for kind in self.supported if kind not in self.unsupported_reasons)
        self.notes = ["link profiles: bandwidth (tbf) and loss (iptables statistic) only; delay and jitter need "
                      "netem, which this kernel lacks"]

    def running(self) -> set[str]:
        return {status.name for status in self.docker.status() if status.running}

    def kill(self, node: str) -> None:
        self.docker.kill_node(node)

    def restart(self, node: str) -> None:
        self.docker.start_node(node)

    def pause(self, node: str) -> None:
        self.docker.pause_node(node)

    def resume(self, node: str) -> None:
        self.docker.unpause_node(node)

    def skew_clock(self, node: str, seconds: float) -> None:
        """Restart the node's container with its wall clock `seconds` off (0 puts it right again). The offset needs
        fault_injection, which stays on once set: it only routes the node's own traffic through the link-fault
        layer, with no fault in it."""
        self.docker.stop_node(node)
        rewrite_node_config(self.docker.layout.node_dir(node) / "node.json", clock_offset_s=seconds,
                            fault_injection=True)
        self.docker.start_node(node)

    def partition(self, group: Sequence[str], rest: Sequence[str]) -> None:
        for node in group:
            self._networks[node] = self.docker.disconnect_node(node)

    def heal_partition(self, group: Sequence[str], rest: Sequence[str]) -> None:
        for node in group:
            self.docker.connect_node(node, self._networks.pop(node, []))

    def _in_namespace(self, node: str, *command: str, check: bool = True) -> str:
        pid = engine.client().containers.get(self.docker.container_id(node)).attrs["State"]["Pid"]
        done = subprocess.run(["nsenter", "-t", str(pid), "-n", *command], capture_output=True, text=True)
        if check and done.returncode != 0:
            raise Unsupported(f"{' '.join(command)} in {node}'s namespace failed: {done.stderr.strip()}")
        return done.stdout

    def _interfaces(self, node: str) -> list[str]:
        """The container's network interfaces but loopback. Not just eth0: a container that was disconnected
        (a partition) and connected again has its interface under a new name."""
        return interface_names(self._in_namespace(node, "ip", "-o", "link", "show"))

    def shape(self, nodes: Sequence[str], profile: LinkFault) -> None:
        for node in nodes:
            if profile.bandwidth_kbps is not None:
                for interface in self._interfaces(node):
                    self._in_namespace(node, "tc", "qdisc", "replace", "dev", interface, "root", "tbf", "rate",
                                       f"{profile.bandwidth_kbps:.0f}kbit", "burst", "32kbit", "latency", "1s")
            if profile.loss:
                self._in_namespace(node, "iptables", "-A", "INPUT", "-m", "statistic", "--mode", "random",
                                   "--probability", f"{profile.loss:.4f}", "-m", "comment", "--comment",
                                   LOSS_CHAIN_COMMENT, "-j", "DROP")

    def unshape(self, nodes: Sequence[str]) -> None:
        for node in nodes:
            for interface in self._interfaces(node):
                self._in_namespace(node, "tc", "qdisc", "del", "dev", interface, "root", check=False)
            self._in_namespace(node, "iptables", "-F", "INPUT", check=False)


def interface_names(ip_link_output: str) -> list[str]:
    """Interface names from `ip -o link show` ("12: eth1@if13: <...> ..."), loopback left out."""
    names = []
    for line in ip_link_output.splitlines():
        fields = line.split(": ", 2)
        if len(fields) >= 2:
            name = fields[1].split("@", 1)[0]
            if name != "lo":
                names.append(name)
    return names
