"""Helpers for the container tests (tests/docker/conftest.py has the fixtures)."""

from __future__ import annotations

import os
import random
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from gridledger.ops.deploy import NetworkClients, PeerRef, peers_of
from gridledger.ops.docker import DockerNetwork
from gridledger.ops.docker.engine import PROJECT_LABEL
from gridledger.ops.netconfig import NetworkDefinition

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
SOLO_2X2 = HERE / "solo-2x2.yaml"
IMAGE = os.environ.get("GRIDLEDGER_TEST_IMAGE", "gridledger:latest")


def docker_engine_problem() -> str | None:
    """None when a Docker engine answers, else why not."""
    try:
        probe = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True,
                               timeout=30)
    except FileNotFoundError:
        return "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if probe.returncode != 0:
        return f"`docker info` failed: {probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ''}"
    return None


def free_ports(count: int) -> list[int]:
    """`count` distinct ports free on the host's loopback, below Linux's ephemeral range (32768-60999) even with the
    REST services' +1000. Inside a container a node's outgoing connections take their source ports from that range,
    so a listening port chosen there (as binding port 0 would) can be taken before the node binds it: EADDRINUSE."""
    ports: list[int] = []
    for port in random.sample(range(20000, 31768), 11768):
        if {port - 1000, port + 1000} & set(ports):  # a REST service listens on a peer's operations port + 1000
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    raise RuntimeError(f"fewer than {count} free ports in 20000..31767")


def with_free_ports(source: Path, target: Path) -> Path:
    """A copy of a network definition whose nodes listen on free ports (parallel runs never collide)."""
    definition = yaml.safe_load(source.read_text())
    orderers = [n for org in definition.get("orderer_orgs") or [definition["orderer_org"]] for n in org["orderers"]]
    nodes = orderers + [p for org in definition["peer_orgs"] for p in org["peers"]]
    ports = iter(free_ports(2 * len(nodes)))
    for node in nodes:
        node["port"], node["operations_port"] = next(ports), next(ports)
    target.write_text(yaml.safe_dump(definition, sort_keys=False))
    return target


def remove_project(project: str) -> None:
    """Whatever Docker still holds for a compose project, by its label: containers, then networks and volumes."""
    label = f"label={PROJECT_LABEL}={project}"
    steps = ((["ps", "--all", "--quiet"], ["rm", "--force"]),
             (["network", "ls", "--quiet"], ["network", "rm"]),
             (["volume", "ls", "--quiet"], ["volume", "rm", "--force"]))
    for listing, removal in steps:
        found = subprocess.run(["docker", *listing, "--filter", label], capture_output=True, text=True).stdout.split()
        if found:
            subprocess.run(["docker", *removal, *found], capture_output=True)


@dataclass
class ContainerNet:
    network_file: Path
    data_dir: Path
    docker: DockerNetwork
    project: str

    @property
    def definition(self) -> NetworkDefinition:
        return self.docker.definition()

    @property
    def clients(self) -> NetworkClients:
        return NetworkClients(self.definition, self.docker.layout.crypto_dir)

    @property
    def peers(self) -> list[PeerRef]:
        return peers_of(self.definition)
