"""The compose profile `monitoring` (gridledger/ops/docker/monitoring.py): Prometheus scraping every node.

The rendering checks need no engine and run in `make test`. The live check builds the Prometheus image from Debian's
package (scripts/docker-monitoring-image.sh), starts a network in containers without the profile (no Prometheus
starts), then the profile's service, and asks Prometheus's HTTP API until every node is a target that is up and its
gridledger series are stored. It starts its own network, about a minute on 2 cores, so it is marked `faults`
(make test-faults)."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.ops.docker import ComposeProject, DockerNetwork, compose_command, monitoring, prepare, render
from gridledger.ops.docker.material import DockerError
from gridledger.ops.netconfig import NetworkDefinition, load_network
from tests.docker.containers import REPO, SOLO_2X2, ContainerNet, free_ports, remove_project, with_free_ports

DEFAULT = REPO / "deploy" / "networks" / "default.yaml"
BFT = REPO / "deploy" / "networks" / "bft.yaml"
PROMETHEUS_IMAGE = os.environ.get("GRIDLEDGER_TEST_PROMETHEUS_IMAGE", monitoring.DEFAULT_IMAGE)


def targets_of(config: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Every scrape target of a Prometheus config: address -> (job, node label)."""
    return {target: (job["job_name"], group["labels"]["node"])
            for job in config["scrape_configs"] for group in job["static_configs"] for target in group["targets"]}


def expected_targets(network: NetworkDefinition) -> dict[str, tuple[str, str]]:
    return {f"{node.name}:{node.operations_port}": (role, node.name) for _, role, node in network.all_nodes()}


@pytest.mark.parametrize("network_file", [DEFAULT, SOLO_2X2, BFT], ids=["default", "solo-2x2", "bft"])
def test_prometheus_scrapes_every_node_by_service_name(network_file: Path) -> None:
    network = load_network(network_file)
    config = yaml.safe_load(monitoring.scrape_config_text(network))
    assert targets_of(config) == expected_targets(network)
    assert all(job["metrics_path"] == "/metrics" for job in config["scrape_configs"])
    orgs = {group["labels"]["node"]: group["labels"]["org"]
            for job in config["scrape_configs"] for group in job["static_configs"]}
    assert orgs == {node.name: msp_id for msp_id, _, node in network.all_nodes()}


def test_a_node_without_operations_port_is_not_a_target(tmp_path: Path) -> None:
    definition = yaml.safe_load(SOLO_2X2.read_text())
    del definition["orderer_org"]["orderers"][0]["operations_port"]
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump(definition))
    targets = targets_of(monitoring.scrape_config(load_network(path)))
    assert "orderer0" not in {node for _, node in targets.values()} and len(targets) == 4


def test_prometheus_is_only_in_the_monitoring_profile_and_published_on_loopback() -> None:
    project = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    profiled = {name: service["profiles"] for name, service in project["services"].items() if "profiles" in service}
    assert profiled == {"prometheus": ["monitoring"]}, "a plain `up` must start every node and nothing more"
    service = project["services"]["prometheus"]
    assert service["ports"] == ["127.0.0.1:${GRIDLEDGER_PROMETHEUS_PORT:-9090}:9090"]
    assert service["image"] == "${GRIDLEDGER_PROMETHEUS_IMAGE:-gridledger-prometheus:latest}"
    assert service["volumes"] == ["./.gridledger/containers/nodes/prometheus:/etc/gridledger:ro",
                                  "prometheus-data:/var/lib/prometheus"]
    assert "--config.file=/etc/gridledger/prometheus.yml" in service["command"]
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert service["networks"] == ["ledger"]


def test_prepare_writes_the_scrape_config_the_compose_file_mounts(tmp_path: Path) -> None:
    network, layout = prepare(SOLO_2X2, tmp_path / "data")
    config_file = layout.node_dir("prometheus") / "prometheus.yml"
    assert config_file.read_text() == monitoring.scrape_config_text(network)
    assert oct(config_file.stat().st_mode & 0o777) == "0o644"
    service = yaml.safe_load(render(network, str(layout.nodes_dir), "x"))["services"]["prometheus"]
    assert service["volumes"][0] == f"{config_file.parent}:/etc/gridledger:ro"


def test_the_installed_compose_reads_the_profile() -> None:
    """Compose itself (docker-compose 1.28+ or the v2 plugin; no engine needed) finds exactly one profile."""
    try:
        compose_command()
    except DockerError as exc:
        pytest.skip(str(exc))
    result = ComposeProject(REPO / "docker-compose.yml", "gridledger-test-config").compose("config", "--profiles")
    assert result.stdout.split() == ["monitoring"]


# ----- live: the profile started on a network in containers -----


def prometheus_api(port: int, path: str, **params: str) -> Any:
    query = f"?{urllib.parse.urlencode(params)}" if params else ""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/{path}{query}", timeout=5) as reply:
        answer = json.loads(reply.read())
    assert answer["status"] == "success", answer
    return answer["data"]


@pytest.fixture(scope="module")
def prometheus_image(docker_engine: None) -> str:
    result = subprocess.run([str(REPO / "scripts" / "docker-monitoring-image.sh")], capture_output=True, text=True,
                            env={**os.environ, "IMAGE": PROMETHEUS_IMAGE}, timeout=600)
    assert result.returncode == 0, f"building the Prometheus image failed:\n{result.stderr[-3000:]}"
    return PROMETHEUS_IMAGE


@pytest.fixture(scope="module")
def monitored(gridledger_image: str, prometheus_image: str,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ContainerNet, int]]:
    """solo-2x2 on free ports, started the way `make up` starts (no profile), then with the monitoring profile's
    Prometheus on a free loopback port."""
    folder = tmp_path_factory.mktemp("monitoring")
    network_file = with_free_ports(SOLO_2X2, folder / "solo-2x2.yaml")
    project = f"gridledger-test-{uuid.uuid4().hex[:10]}"
    docker = DockerNetwork(folder / "data", project=project, image=gridledger_image)
    [port] = free_ports(1)
    saved = {name: os.environ.get(name) for name in (monitoring.PORT_VARIABLE, monitoring.IMAGE_VARIABLE)}
    os.environ[monitoring.PORT_VARIABLE] = str(port)
    os.environ[monitoring.IMAGE_VARIABLE] = prometheus_image
    try:
        docker.up(network_file, timeout=120)
        assert "prometheus" not in docker.project().containers(), "a plain up started the monitoring profile"
        docker.project().compose("--profile", monitoring.PROFILE, "up", "--detach", monitoring.SERVICE)
        yield ContainerNet(network_file, folder / "data", docker, project), port
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        try:
            docker.down(purge=True)
        finally:
            remove_project(project)


@pytest.mark.docker
@pytest.mark.faults
@pytest.mark.timeout(600)
def test_prometheus_in_the_profile_sees_every_node_up(monitored: tuple[ContainerNet, int]) -> None:
    net, port = monitored
    network = net.definition
    wanted = expected_targets(network)
    deadline = time.monotonic() + 90
    while True:
        try:
            active = prometheus_api(port, "targets")["activeTargets"]
        except OSError:  # Prometheus still starting
            active = []
        health = {target["labels"]["instance"]: target["health"] for target in active}
        if set(health) == set(wanted) and all(h == "up" for h in health.values()):
            break
        assert time.monotonic() < deadline, f"Prometheus's targets after 90 s: {health or active}"
        time.sleep(1)
    by_node = {t["labels"]["node"]: t["labels"]["job"] for t in active}
    assert by_node == {node: job for job, node in wanted.values()}

    # The nodes' own series are stored: every peer's height, at least the genesis block.
    heights = prometheus_api(port, "query", query="gridledger_peer_height")["result"]
    assert {r["metric"]["node"] for r in heights} == {p.name for p in net.peers}
    assert all(float(r["value"][1]) >= 1 for r in heights), heights

    # Starting the project again without the profile (make up twice) leaves the running Prometheus alone.
    net.docker.project().up()
    assert net.docker.project().containers()["prometheus"].status == "running"

    # `network status --json` lists the containers' REST services and their dashboards.
    status = CliRunner().invoke(app, ["network", "status", "--json", "--data-dir", str(net.data_dir)])
    assert status.exit_code == 0, status.output
    rest = {r["msp_id"]: r for r in json.loads(status.output)["rest"]}
    assert set(rest) == {"Org1MSP", "Org2MSP"}
    for msp_id, url in net.docker.rest_urls().items():
        assert rest[msp_id]["url"] == url and rest[msp_id]["dashboard_url"] == f"{url}/dashboard"
        assert rest[msp_id]["healthy"] is True
