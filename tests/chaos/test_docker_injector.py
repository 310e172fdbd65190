"""Container faults (lab/chaos/inject/docker.py): which interfaces a link profile shapes, and a real chaos run on
containers. Found by the first container run: a node partitioned (disconnected and connected again) came back with
its interface named eth1, and shaping the hard-coded eth0 failed the next link fault."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gridledger.lab.chaos.inject.docker import interface_names
from gridledger.lab.chaos.runner import ChaosRunner, ChaosSpec
from tests.docker.conftest import docker_engine, gridledger_image
from tests.docker.containers import REPO, with_free_ports

__all__ = ["docker_engine", "gridledger_image"]  # the fixtures, for the container run

IP_LINK = "\n".join([  # `ip -o link show` in a container that was connected again after a partition
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000",
    "27: eth1@if28: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default",
    "31: eth2@if32: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default",
])


def test_every_interface_but_loopback_is_shaped_whatever_its_name() -> None:
    assert interface_names(IP_LINK) == ["eth1", "eth2"]
    assert interface_names("") == []


@pytest.mark.docker
@pytest.mark.faults
def test_a_link_fault_after_a_partition_on_containers(gridledger_image: str, tmp_path: Path) -> None:
    """Seed 3's second schedule partitions peer0-org1 and then shapes every node's links."""
    network = with_free_ports(REPO / "deploy" / "networks" / "raft.yaml", tmp_path / "raft.yaml")
    spec = ChaosSpec(network_file=network, data_dir=tmp_path / "data", out_dir=tmp_path / "out",
                     orchestrator="docker", seed=3, schedules=2, duration_s=10.0,
                     kinds=("link", "partition", "kill"))
    result = asyncio.run(ChaosRunner(spec).run())
    assert any("partition" in fault for fault in result.schedules[1].faults)
    assert any(fault.startswith("link") for fault in result.schedules[1].faults)
    assert result.ok, [(s.index, s.problems) for s in result.schedules]
    assert result.lost == result.forks == 0 and result.acked > 0
