"""The compose rendering and the host material behind it; no Docker engine needed."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml

from gridledger.common.channel import config_from_block
from gridledger.ops.docker import DockerError, DockerNetwork, Layout, container_node_configs, prepare, render
from gridledger.ops.docker.render import CONFIG_DIR, DATA_DIR, render_project, rest_services
from gridledger.ops.netconfig import load_network
from gridledger.v1 import block_pb2

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "deploy" / "networks" / "default.yaml"
BFT = REPO / "deploy" / "networks" / "bft.yaml"
SOLO_2X2 = Path(__file__).resolve().parent / "solo-2x2.yaml"
REGENERATE = ".venv/bin/python -m gridledger.ops.docker render --network deploy/networks/default.yaml " \
             "--out docker-compose.yml"


def test_committed_compose_file_is_the_rendering_of_default_yaml() -> None:
    rendered = render(load_network(DEFAULT), ".gridledger/containers/nodes", "deploy/networks/default.yaml")
    committed = (REPO / "docker-compose.yml").read_text()
    assert committed == rendered, f"docker-compose.yml is out of date; regenerate it: {REGENERATE}"


def test_the_documented_command_renders_the_committed_file(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from gridledger.ops.docker.__main__ import main

    monkeypatch.chdir(REPO)
    assert main(["render", "--network", "deploy/networks/default.yaml"]) == 0
    assert capsys.readouterr().out == (REPO / "docker-compose.yml").read_text()


@pytest.mark.parametrize("network_file", [DEFAULT, SOLO_2X2, BFT], ids=["default", "solo-2x2", "bft"])
def test_one_hardened_service_per_node(network_file: Path) -> None:
    network = load_network(network_file)
    project = yaml.safe_load(render(network, "./nodes", str(network_file)))
    nodes = network.all_nodes()
    rest = [f"rest-{m.lower()}" for m in network.peer_msp_ids]
    # ... and the monitoring profile's Prometheus last (tests/docker/test_monitoring.py).
    assert list(project["services"]) == [node.name for _, _, node in nodes] + rest + ["prometheus"]
    assert set(project["volumes"]) == {f"{name}-data" for name in [n.name for _, _, n in nodes] + rest + ["prometheus"]}
    for msp_id, role, node in nodes:
        service = project["services"][node.name]
        assert service["command"] == [role]
        assert service["labels"]["org.gridledger.org"] == msp_id
        assert service["image"] == "${GRIDLEDGER_IMAGE:-gridledger:latest}"
        assert service["restart"] == "unless-stopped"
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        # Published on loopback only, under the definition's numbers (host clients use them as for local runs).
        assert service["ports"] == [f"127.0.0.1:{node.port}:{node.port}",
                                    f"127.0.0.1:{node.operations_port}:{node.operations_port}"]
        assert service["volumes"] == [f"./nodes/{node.name}:{CONFIG_DIR}:ro", f"{node.name}-data:{DATA_DIR}"]
        test = service["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"] and f"127.0.0.1:{node.operations_port}/healthz" in test[-1]
        if role == "peer":
            assert service["depends_on"] == [o.name for _, o in network.orderer_nodes()]


@pytest.mark.parametrize("network_file", [DEFAULT, SOLO_2X2], ids=["default", "solo-2x2"])
def test_one_rest_service_per_peer_org(network_file: Path) -> None:
    """Same image, role rest, its org's first peer by service name, the local runner's port on loopback."""
    network = load_network(network_file)
    services = rest_services(network, "./nodes")
    assert list(services) == [f"rest-{m.lower()}" for m in network.peer_msp_ids]
    for org in network.peer_orgs:
        name = f"rest-{org.msp_id.lower()}"
        service, first = services[name], org.peers[0]
        port = first.operations_port + 1000
        command = service["command"]
        assert command[0] == "rest" and command[command.index("--org") + 1] == org.msp_id
        assert command[command.index("--peer-address") + 1] == f"{first.name}:{first.port}"
        assert command[command.index("--port") + 1] == str(port)
        assert command[command.index("--data-dir") + 1] == DATA_DIR
        assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
        assert service["depends_on"] == [first.name]
        assert service["volumes"] == [f"./nodes/{name}:{CONFIG_DIR}:ro", f"{name}-data:{DATA_DIR}",
                                      f"./nodes/{name}/crypto:{DATA_DIR}/crypto:ro"]
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
        assert f"127.0.0.1:{port}/healthz" in service["healthcheck"]["test"][-1]
    assert set(services) <= set(render_project(network, "./nodes")["services"])


def test_healthcheck_without_operations_port_connects_to_grpc(tmp_path: Path) -> None:
    definition = yaml.safe_load(SOLO_2X2.read_text())
    del definition["orderer_org"]["orderers"][0]["operations_port"]
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(definition))
    service = render_project(load_network(path), "./nodes")["services"]["orderer0"]
    assert service["ports"] == ["127.0.0.1:17050:17050"]
    assert "create_connection(('127.0.0.1', 17050)" in service["healthcheck"]["test"][-1]


def test_node_configs_reach_every_node_by_service_name() -> None:
    network = load_network(SOLO_2X2)
    configs = {c.name: c for c in container_node_configs(network)}
    peer = configs["peer0-org1"]
    assert peer.listen_host == "0.0.0.0"
    assert str(peer.crypto_dir) == f"{CONFIG_DIR}/crypto" and str(peer.data_dir) == DATA_DIR
    assert str(peer.genesis_block) == f"{CONFIG_DIR}/genesis.block"
    assert [e.address for e in peer.orderers] == ["orderer0:17050"]
    assert [e.address for e in peer.peers] == ["peer0-org1:17051", "peer1-org1:17061", "peer0-org2:19051",
                                               "peer1-org2:19061"]
    assert configs["orderer0"].role == "orderer" and configs["orderer0"].operations_port == 19443


def test_prepare_writes_private_material_with_consenters_by_name(tmp_path: Path) -> None:
    _, layout = prepare(DEFAULT, tmp_path / "data")
    assert stat.S_IMODE(layout.root.stat().st_mode) == 0o700
    genesis = block_pb2.Block.FromString(layout.genesis_path.read_bytes())
    consenters = config_from_block(genesis).consensus.consenters
    assert [(c.host, c.port) for c in consenters] == [("orderer0", 7050), ("orderer1", 8050), ("orderer2", 9050)]
    assert json.loads(layout.marker.read_text())["network_file"] == str(DEFAULT.resolve())

    folder = layout.node_dir("peer0-org2")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert files == sorted([
        "node.json", "genesis.block",
        *(f"crypto/Org2MSP/members/peer0-org2/{n}" for n in ("cert.pem", "key.pem", "tls-cert.pem", "tls-key.pem")),
        *(f"crypto/{org}/tlsca/cert.pem" for org in ("OrdererMSP", "Org1MSP", "Org2MSP")),
    ]), "a node folder holds only its own keys and the TLS CA certificates"
    assert (folder / "genesis.block").read_bytes() == layout.genesis_path.read_bytes()
    assert all(stat.S_IMODE(p.stat().st_mode) == (0o755 if p.is_dir() else 0o644) for p in folder.rglob("*"))
    # The host copy of the keys stays private to the user.
    assert stat.S_IMODE((layout.crypto_dir / "Org2MSP" / "members" / "peer0-org2" / "key.pem").stat().st_mode) == 0o600


def test_prepare_again_keeps_the_genesis_block(tmp_path: Path) -> None:
    _, layout = prepare(SOLO_2X2, tmp_path / "data")
    genesis = layout.genesis_path.read_bytes()
    prepare(SOLO_2X2, tmp_path / "data")
    assert layout.genesis_path.read_bytes() == genesis


def test_prepare_refuses_a_folder_of_another_network(tmp_path: Path) -> None:
    prepare(SOLO_2X2, tmp_path / "data")
    with pytest.raises(DockerError, match="holds network"):
        prepare(DEFAULT, tmp_path / "data")


def test_prepare_records_the_project_and_checks_a_given_compose_file(tmp_path: Path) -> None:
    docker = DockerNetwork(tmp_path / "data")
    project = docker.prepare(SOLO_2X2)
    layout = Layout((tmp_path / "data").resolve())
    assert project.project == "gridledger-solo-2x2"
    assert project.compose_file == layout.compose_file
    assert "./nodes/peer0-org1:/etc/gridledger:ro" in layout.compose_file.read_text()
    recorded = json.loads(layout.project_file.read_text())
    assert recorded["project"] == "gridledger-solo-2x2" and recorded["compose_file"] == str(layout.compose_file)

    stale = tmp_path / "docker-compose.yml"
    stale.write_text("services: {}\n")
    with pytest.raises(DockerError, match="regenerate"):
        docker.prepare(SOLO_2X2, compose_file=stale)
    good = tmp_path / "good.yml"
    good.write_text(render(load_network(SOLO_2X2), "data/containers/nodes", "anything"))
    assert docker.prepare(SOLO_2X2, compose_file=good).compose_file == good.resolve()


def test_prepare_for_orderers_of_several_orgs(tmp_path: Path) -> None:
    """bft.yaml: every orderer's folder holds its own org's keys and every org's TLS CA; the genesis block lists
    each consenter, by service name, with its own org."""
    network, layout = prepare(BFT, tmp_path / "data")
    config = config_from_block(block_pb2.Block.FromString(layout.genesis_path.read_bytes()))
    assert [(c.id, c.msp_id, c.host) for c in config.consensus.consenters] == \
        [(n.name, m, n.name) for m, n in network.orderer_nodes()]
    assert list(config.orderer_orgs) == network.orderer_msp_ids
    for msp_id, node in network.orderer_nodes():
        folder = layout.node_dir(node.name)
        assert sorted(p.parent.parent.name for p in folder.glob("crypto/*/tlsca/cert.pem")) == sorted(network.msp_ids)
        assert [p.name for p in folder.glob("crypto/*/members/*")] == [node.name]
        assert (folder / "crypto" / msp_id / "members" / node.name / "tls-key.pem").exists()
    node = json.loads((layout.node_dir("peer0-org1") / "node.json").read_text())
    assert [(e["name"], e["msp_id"], e["address"]) for e in node["orderers"]] == \
        [(n.name, m, f"{n.name}:{n.port}") for m, n in network.orderer_nodes()]
