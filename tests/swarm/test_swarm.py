"""The default network as a real swarm stack on this host (`gridledger network up --swarm`'s path): every service
healthy, kv deployed and used from the host over the published ports and through a REST service, one peer's task
container killed: the swarm starts a new task, which catches up with the others (height, block hash and state
hash). The stack and its volumes are removed afterwards, also on failure."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.ops.deploy import deploy
from gridledger.ops.docker import DockerError
from gridledger.ops.docker.swarm import SwarmNetwork
from gridledger.ops.render.model import rest_service_name, rest_services
from tests.docker.containers import REPO, ContainerNet, with_free_ports
from tests.docker.test_containers import KV, TWO_ORGS, read, submit, wait_same_height

pytestmark = [pytest.mark.docker, pytest.mark.faults, pytest.mark.timeout(600)]

DEFAULT = REPO / "deploy" / "networks" / "default.yaml"
KILLED_PEER = "peer1-org2"


@pytest.fixture(scope="module")
def stack(swarm_manager: None, gridledger_image: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContainerNet]:
    """default.yaml on free ports, deployed as stack gridledger-test-<random>, with kv deployed from the host."""
    folder = tmp_path_factory.mktemp("swarm")
    network_file = with_free_ports(DEFAULT, folder / "default.yaml")
    name = f"gridledger-test-{uuid.uuid4().hex[:8]}"
    swarm = SwarmNetwork(folder / "data", stack=name, image=gridledger_image)
    try:
        started = time.monotonic()
        swarm.up(network_file, timeout=300)
        print(f"\nswarm stack {name}: every service healthy {time.monotonic() - started:.1f} s after deploy")
        # ContainerNet's clients and peers need only the definition and the crypto folder, which SwarmNetwork has.
        net = ContainerNet(network_file, folder / "data", swarm, name)  # type: ignore[arg-type]
        asyncio.run(deploy(net.clients, "kv", KV, "1.0", TWO_ORGS))
        yield net
    finally:
        swarm.down(purge=True)


def test_every_service_runs_one_healthy_task(stack: ContainerNet) -> None:
    swarm: SwarmNetwork = stack.docker  # type: ignore[assignment]
    statuses = swarm.status()
    assert [s.name for s in statuses] == [n.name for _, _, n in stack.definition.all_nodes()]
    assert all(s.running and s.healthy and s.height is not None for s in statuses), statuses
    tasks = swarm.tasks()
    assert set(tasks) == {s.name for s in statuses} | {rest_service_name(m) for m in stack.definition.peer_msp_ids}
    assert all(swarm.running_task(found) is not None for found in tasks.values())


def test_status_finds_the_stack_from_the_data_folder(stack: ContainerNet) -> None:
    """No --swarm needed: the data folder records a stack and no compose project."""
    result = CliRunner().invoke(app, ["network", "status", "--json", "--data-dir", str(stack.data_dir)])
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.output)["nodes"]
    assert len(nodes) == len(stack.definition.all_nodes()) and all(n["healthy"] for n in nodes)


def test_a_second_stack_on_the_same_ports_fails_fast(stack: ContainerNet, gridledger_image: str,
                                                     tmp_path: Path) -> None:
    """Host-mode ports taken by the first stack: the scheduler cannot place the second one, and `up` says so
    within seconds instead of waiting out its timeout."""
    other = SwarmNetwork(tmp_path / "data", stack=f"{stack.project}-again", image=gridledger_image)
    started = time.monotonic()
    try:
        with pytest.raises(DockerError, match="host-mode port already in use"):
            other.up(stack.network_file, timeout=120)
        assert time.monotonic() - started < 60
    finally:
        other.down(purge=True)


def test_submit_from_the_host_and_through_rest(stack: ContainerNet) -> None:
    swarm: SwarmNetwork = stack.docker  # type: ignore[assignment]
    assert asyncio.run(submit(stack, "put", "meter-host", "1250")) >= 1
    rest = rest_service_name("Org1MSP")
    enrolled = subprocess.run(["docker", "exec", swarm.container_id(rest), "gridledger", "rest", "enroll", "alice",
                               "--org", "Org1MSP", "--data-dir", "/var/lib/gridledger"],
                              capture_output=True, text=True, timeout=120)
    assert enrolled.returncode == 0, enrolled.stderr
    token = enrolled.stdout.strip().splitlines()[-1]
    port = next(s.ports[0] for s in rest_services(stack.definition) if s.name == rest)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"},
                      timeout=60) as client:
        response = client.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["meter-rest", "7"]})
        assert response.status_code == 200, response.text
        assert response.json()["validation_code"] == "VALID"
    wait_same_height(stack)
    assert asyncio.run(read(stack, stack.peers[-1], "meter-rest")) == "7"
    assert asyncio.run(read(stack, stack.peers[-1], "meter-host")) == "1250"


def test_a_killed_peer_task_is_replaced_and_catches_up(stack: ContainerNet) -> None:
    swarm: SwarmNetwork = stack.docker  # type: ignore[assignment]
    killed = swarm.container_id(KILLED_PEER)
    started = time.monotonic()
    swarm.kill_node(KILLED_PEER)
    # Blocks the killed peer misses while its new task starts (AND(Org1, Org2): peer0-org2 endorses for Org2).
    for i in range(3):
        asyncio.run(submit(stack, "put", f"while-down-{i}", str(i)))
    replacement = _wait_replaced(swarm, KILLED_PEER, killed, timeout=120)
    print(f"\n{KILLED_PEER}: new task healthy {time.monotonic() - started:.1f} s after the kill")
    assert replacement != killed
    infos = wait_same_height(stack)
    assert len({info.state_hash for info in infos.values()}) == 1
    peer = next(p for p in stack.peers if p.name == KILLED_PEER)
    assert asyncio.run(read(stack, peer, "while-down-2")) == "2"


def _wait_replaced(swarm: SwarmNetwork, name: str, killed: str, timeout: float) -> str:
    """The container of the service's next running (so healthy) task."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = swarm.running_task(swarm.tasks().get(name, []))
        if task is not None and task["Status"]["ContainerStatus"]["ContainerID"] != killed:
            return task["Status"]["ContainerStatus"]["ContainerID"]
        time.sleep(0.5)
    raise AssertionError(f"swarm did not replace {name}'s task within {timeout:.0f}s")

