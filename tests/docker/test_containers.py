"""End to end in containers: the solo 2 x 2 network (tests/docker/solo-2x2.yaml) runs as one container per node;
host-side clients reach it only through the ports published on 127.0.0.1, exactly as they reach local processes.

Deploy kv through every lifecycle step, submit, stop and start one peer (it catches up from the orderer), then
remove every container and start the project again: volumes keep every committed block and the state."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.ops.deploy import PeerRef, deploy
from gridledger.ops.docker import DockerError, DockerNetwork, engine
from gridledger.ops.docker.project import ComposeProject, compose_command
from gridledger.v1 import peer_pb2
from tests.docker.containers import IMAGE, REPO, ContainerNet

pytestmark = [pytest.mark.docker, pytest.mark.timeout(480)]

KV = REPO / "gridledger" / "chaincode" / "kv"
TWO_ORGS = "AND('Org1MSP.peer', 'Org2MSP.peer')"
STOPPED_PEER = "peer1-org2"


async def channel_infos(net: ContainerNet) -> dict[str, peer_pb2.ChannelInfo]:
    """Each peer's ChannelInfo, asked as its org's admin over the published port."""
    infos = {}
    for peer in net.peers:
        async with net.clients.connect(peer) as admin:
            infos[peer.name] = await admin.channel_info()
    return infos


async def submit(net: ContainerNet, *args: str, peer: PeerRef | None = None) -> int:
    clients = net.clients
    async with clients.connect(peer or clients.first_peer("Org1MSP"), "user1") as user:
        return (await user.submit("kv", *args)).block


async def read(net: ContainerNet, peer: PeerRef, key: str) -> str:
    async with net.clients.connect(peer, "user1") as user:
        return (await user.evaluate("kv", "get", key)).decode()


def wait_same_height(net: ContainerNet, timeout: float = 60) -> dict[str, peer_pb2.ChannelInfo]:
    deadline = time.monotonic() + timeout
    while True:
        infos = asyncio.run(channel_infos(net))
        if len({(i.height, i.current_block_hash, i.state_hash) for i in infos.values()}) == 1:
            return infos
        if time.monotonic() > deadline:
            heights = {name: info.height for name, info in infos.items()}
            raise AssertionError(f"peers disagree after {timeout}s: {heights}")
        time.sleep(0.5)


@pytest.fixture(scope="module")
def deployed(solo_network: ContainerNet) -> ContainerNet:
    asyncio.run(deploy(solo_network.clients, "kv", KV, "1.0", TWO_ORGS))
    return solo_network


def test_nodes_run_as_containers_behind_loopback_ports(solo_network: ContainerNet) -> None:
    statuses = solo_network.docker.status()
    assert [s.name for s in statuses] == ["orderer0", "peer0-org1", "peer1-org1", "peer0-org2", "peer1-org2"]
    assert all(s.running and s.healthy for s in statuses), statuses
    assert all(s.address.startswith("127.0.0.1:") for s in statuses)
    containers = solo_network.docker.project().containers()
    assert set(containers) == {s.name for s in statuses} | {"rest-org1msp", "rest-org2msp"}
    assert all(c.health == "healthy" for c in containers.values())


def test_deploy_and_submit_through_published_ports(deployed: ContainerNet) -> None:
    block = asyncio.run(submit(deployed, "put", "meter-1", "42"))
    assert block >= 1
    infos = wait_same_height(deployed)
    assert all(info.height == block + 1 for info in infos.values())
    for peer in deployed.peers:
        assert asyncio.run(read(deployed, peer, "meter-1")) == "42"


def test_rest_service_submits_for_a_user_enrolled_in_its_container(deployed: ContainerNet) -> None:
    """Enrol as docs/containers.md does (`compose exec` into the service's volume; no restart), then submit
    through the published REST port from the host and read the committed transaction back."""
    enrolled = deployed.docker.project().compose(
        "exec", "-T", "rest-org1msp", "gridledger", "rest", "enroll", "alice", "--org", "Org1MSP",
        "--data-dir", "/var/lib/gridledger")
    token = enrolled.stdout.strip().splitlines()[-1]
    url = deployed.docker.rest_urls()["Org1MSP"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        assert client.get("/healthz").status_code == 200
        response = client.post("/v1/chaincodes/kv/submit", json={"function": "put", "args": ["meter-rest", "7"]})
        assert response.status_code == 200, response.text
        submitted = response.json()
        assert submitted["validation_code"] == "VALID" and submitted["block"] >= 1
        committed = client.get(f"/v1/transactions/{submitted['tx_id']}").json()
        assert committed["valid"] is True and committed["validation_code"] == "VALID"
    wait_same_height(deployed)
    assert asyncio.run(read(deployed, deployed.peers[-1], "meter-rest")) == "7"


def test_the_dashboard_in_a_container_reaches_every_node_by_its_name(deployed: ContainerNet) -> None:
    """The REST container's dashboard feed reads each node's operations endpoint at the node's host name."""
    url = deployed.docker.rest_urls()["Org1MSP"]
    deadline = time.monotonic() + 30
    while True:
        state = httpx.get(f"{url}/dashboard/state", timeout=5).json()
        if len(state["nodes"]) == 5 and all(node["healthy"] for node in state["nodes"]):
            break
        assert time.monotonic() < deadline, state["nodes"]
        time.sleep(0.5)
    assert state["height"] >= 1 and state["consensus"]["type"] == "solo"


def test_stopped_peer_catches_up_after_start(deployed: ContainerNet) -> None:
    stopped = next(p for p in deployed.peers if p.name == STOPPED_PEER)
    deployed.docker.stop_node(STOPPED_PEER)
    assert deployed.docker.project().containers()[STOPPED_PEER].status == "exited"
    for i in range(3):
        asyncio.run(submit(deployed, "put", f"while-down-{i}", str(i)))
    deployed.docker.start_node(STOPPED_PEER)
    deployed.docker.wait_healthy(timeout=90)
    infos = wait_same_height(deployed)
    assert asyncio.run(read(deployed, stopped, "while-down-2")) == "2"
    # `gridledger network status` (the operations endpoints' /healthz) reports the same height everywhere.
    result = CliRunner().invoke(app, ["network", "status", "--json", "--data-dir", str(deployed.data_dir)])
    assert result.exit_code == 0, result.output
    nodes = json.loads(result.output)["nodes"]
    height = infos[STOPPED_PEER].height
    assert {n["name"]: n["height"] for n in nodes} == {name: height for name in ["orderer0", *infos]}
    assert all(n["healthy"] for n in nodes)


def test_the_engine_pauses_partitions_and_kills_a_peer_that_then_catches_up(deployed: ContainerNet) -> None:
    """The fault tools (ops/docker/engine.py, the Docker SDK): each fault is seen by the engine, the network keeps
    committing meanwhile, and the peer catches up once healed (a killed one once started again: the engine counts a
    kill as a stop by hand, so the restart policy leaves it down); its output is read with `network logs`."""
    docker = deployed.docker
    peer = next(p for p in deployed.peers if p.name == STOPPED_PEER)
    docker.pause_node(STOPPED_PEER)
    assert docker.project().containers()[STOPPED_PEER].status == "paused"
    asyncio.run(submit(deployed, "put", "while-paused", "1"))
    docker.unpause_node(STOPPED_PEER)
    networks = docker.disconnect_node(STOPPED_PEER)
    assert networks and engine.networks_of(docker.container_id(STOPPED_PEER)) == []
    asyncio.run(submit(deployed, "put", "while-partitioned", "2"))
    docker.connect_node(STOPPED_PEER, networks)
    docker.kill_node(STOPPED_PEER)
    killed = docker.project().containers()[STOPPED_PEER]
    assert killed.status == "exited" and killed.exit_code == 137  # 128 + SIGKILL
    asyncio.run(submit(deployed, "put", "while-killed", "3"))
    docker.start_node(STOPPED_PEER)
    docker.wait_healthy(timeout=90)
    wait_same_height(deployed)
    assert asyncio.run(read(deployed, peer, "while-killed")) == "3"
    result = CliRunner().invoke(app, ["network", "logs", STOPPED_PEER, "--docker", "--lines", "200",
                                      "--data-dir", str(deployed.data_dir)])
    assert result.exit_code == 0 and "peer started" in result.output, result.output
    status = CliRunner().invoke(app, ["network", "status", "--json", "--data-dir", str(deployed.data_dir)])
    rest = json.loads(status.output)["rest"]
    assert {r["msp_id"] for r in rest} == {"Org1MSP", "Org2MSP"} and all(r["dashboard_url"] for r in rest)


def test_restarting_the_project_keeps_every_block(deployed: ContainerNet) -> None:
    asyncio.run(submit(deployed, "put", "before-restart", "yes"))
    before = wait_same_height(deployed)
    deployed.docker.down()  # containers and network go, volumes stay
    assert deployed.docker.project().containers() == {}
    deployed.docker.up(deployed.network_file, timeout=120)
    after = asyncio.run(channel_infos(deployed))
    for name, info in before.items():
        assert (after[name].height, after[name].current_block_hash, after[name].state_hash) == \
            (info.height, info.current_block_hash, info.state_hash), name
    # ... and the network goes on from there.
    block = asyncio.run(submit(deployed, "put", "after-restart", "yes"))
    assert block == before["peer0-org1"].height
    assert asyncio.run(read(deployed, deployed.peers[-1], "before-restart")) == "yes"


def test_a_data_folder_made_again_meets_the_old_volumes_and_starts_nothing(deployed: ContainerNet,
                                                                           tmp_path: Path) -> None:
    """Issue 16 item 1: the project's volumes hold this network's chains; a new data folder (new crypto and
    genesis block) under the same project name is refused before any container is created or replaced."""
    before = {name: state.id for name, state in deployed.docker.project().containers().items()}
    again = DockerNetwork(tmp_path / "again", project=deployed.project, image=IMAGE)
    with pytest.raises(DockerError, match=r"Nothing was started\. Delete them"):
        again.up(deployed.network_file, timeout=30)
    assert {name: state.id for name, state in deployed.docker.project().containers().items()} == before


def test_committed_compose_file_is_valid_for_the_installed_compose(docker_engine: None) -> None:
    """The installed Compose (`docker compose` or docker-compose) accepts the repository's docker-compose.yml."""
    assert compose_command()
    ComposeProject(REPO / "docker-compose.yml", "gridledger-test-config").compose("config", "--quiet")
