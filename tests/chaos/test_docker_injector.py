"""Container faults (lab/chaos/inject/docker.py): which interfaces a link profile shapes, and a real chaos run on
containers. Found by the first container run: a node partitioned (disconnected and connected again) came back with
its interface named eth1, and shaping the hard-coded eth0 failed the next link fault."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gridledger.common.nodeconfig import NodeConfig
from gridledger.lab.chaos.inject.base import rewrite_node_config
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


def test_a_rewritten_node_config_is_checked_as_a_whole(tmp_path: Path) -> None:
    """Clock skew rewrites a node's config for its next start (containers read the host's bind-mounted file); an
    offset without fault injection is refused before anything is written."""
    path = tmp_path / "node.json"
    NodeConfig(name="p", msp_id="Org1MSP", role="peer", crypto_dir=tmp_path, genesis_block=tmp_path / "g",
               data_dir=tmp_path, port=1, trusted_orgs=["Org1MSP"]).save(path)
    before = path.read_text()
    with pytest.raises(ValueError, match="fault_injection"):
        rewrite_node_config(path, clock_offset_s=600)
    assert path.read_text() == before
    rewrite_node_config(path, clock_offset_s=-600, fault_injection=True)
    config = NodeConfig.load(path)
    assert (config.clock_offset_s, config.fault_injection, config.port) == (-600, True, 1)


@pytest.mark.docker
@pytest.mark.faults
def test_clock_skew_on_containers(gridledger_image: str, tmp_path: Path) -> None:
    """Each fault restarts a container with its clock 30 s to 2 h off and heals it with another restart."""
    network = with_free_ports(REPO / "deploy" / "networks" / "raft.yaml", tmp_path / "raft.yaml")
    spec = ChaosSpec(network_file=network, data_dir=tmp_path / "data", out_dir=tmp_path / "out",
                     orchestrator="docker", seed=5, schedules=1, duration_s=10.0, kinds=("clock-skew",))
    result = asyncio.run(ChaosRunner(spec).run())
    assert result.schedules[0].faults and all("clock-skew" in f for f in result.schedules[0].faults)
    assert result.ok, [(s.index, s.problems) for s in result.schedules]
    assert result.lost == result.forks == 0 and result.acked > 0


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
