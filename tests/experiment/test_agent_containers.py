"""The agent containers run the quick market on a compose network: `experiment run --docker --agents docker:2`
starts tests/docker/solo-2x2.yaml (free ports) as a Compose project (tests/swarm/test_swarm_agents.py: as a swarm
stack), two agent containers from the same image on
the project's network each act for half of the community, and the run directory gets their merged records.

Needs a Docker engine and the image with `agents serve` in it (`make images`; GRIDLEDGER_TEST_IMAGE names another).
"""

from __future__ import annotations

import csv
import json
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.lab.experiment.runner import compose_project
from gridledger.lab.experiment.spec import ExperimentSpec
from gridledger.ops.docker.engine import image_exists
from gridledger.ops.docker.render import IMAGE_VARIABLE
from gridledger.ops.docker.workers import WORKER_LABEL
from tests.docker.containers import IMAGE, SOLO_2X2, docker_engine_problem, remove_project, with_free_ports

pytestmark = [pytest.mark.docker, pytest.mark.faults]


def test_agent_containers_run_the_quick_market_on_a_compose_network(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    problem = docker_engine_problem()
    if problem is not None:
        pytest.skip(f"no Docker engine reachable ({problem})")
    run_quick_market_with_agent_containers(tmp_path, monkeypatch, "--docker", "containers", remove_project)


def run_quick_market_with_agent_containers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, nodes_flag: str,
                                           nodes: str, remove: Callable[[str], None]) -> None:
    """The quick market with `--agents docker:2` and the network placed by `nodes_flag` (--docker or --swarm);
    `remove` takes away whatever the run left of its Compose project or stack, also on failure."""
    assert image_exists(IMAGE), f"image {IMAGE} not found; build it with `make images`"
    monkeypatch.setenv(IMAGE_VARIABLE, IMAGE)
    network = with_free_ports(SOLO_2X2, tmp_path / "solo-2x2.yaml")
    name = f"agents-{uuid.uuid4().hex[:8]}"
    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text(yaml.safe_dump({
        "name": name, "network": str(network), "overrides": {"batch_timeout_ms": 200},
        "market": {"sealing": "own-key", "data_model": "key-per-tx"},
        "trace": {"path": "deploy/traces/sample.csv", "households": 63},
        "quick": {"households": 8, "first_slot": 26, "slots": 2, "slot_length_blocks": 30,
                  "reveal_offset_blocks": 15},
        "agents": {"seed": 7}}))
    project = compose_project(ExperimentSpec(name=f"{name}-quick", network=network, trace={"path": "x"}))
    try:
        result = CliRunner().invoke(app, ["experiment", "run", str(spec_file), "--quick", nodes_flag, "--agents",
                                          "docker:2", "--out", str(tmp_path / "results"), "--json"])
        assert result.exit_code == 0, result.output
    finally:
        remove(project)
        leftovers = subprocess.run(["docker", "ps", "--all", "--quiet", "--filter", f"label={WORKER_LABEL}"],
                                   capture_output=True, text=True).stdout.split()
        ours = [c for c in leftovers if project in subprocess.run(
            ["docker", "inspect", "--format", "{{.Name}}", c], capture_output=True, text=True).stdout]
        assert not ours, f"agent containers left behind: {ours}"
    [metrics] = json.loads(result.stdout)["runs"]
    assert metrics["ledger_verify"] == "ok" and metrics["bidder_success"] == 1.0

    run_dir = tmp_path / "results" / f"{name}-quick"
    summary = json.loads((run_dir / "spec.json").read_text())
    assert summary["agents"] == "docker:2" and summary["nodes"] == nodes
    slices = [run_dir / "agents" / f"slice-{index}" for index in (0, 1)]
    gateways = [json.loads((folder / "slice" / "slice.json").read_text())["gateways"] for folder in slices]
    assert gateways[0] == {"Org1MSP": f"peer0-org1:{_port(network, 'peer0-org1')}",
                           "Org2MSP": f"peer0-org2:{_port(network, 'peer0-org2')}"}  # by service name
    rows = list(csv.DictReader((run_dir / "transactions.csv").open()))
    households = {row["household"] for row in rows if row["tx_type"] == "report" and row["tx_status"] == "VALID"}
    assert len(households) == 8  # both containers' meters reported, every slot
    assert {row["slot"] for row in rows if row["tx_type"] == "settle" and row["tx_status"] == "VALID"} == {"0", "1"}
    for folder in slices:
        assert "transaction attempts in /records/transactions.csv" in (folder / "records" / "agent.log").read_text()


def _port(network: Path, node: str) -> int:
    definition = yaml.safe_load(network.read_text())
    return next(p["port"] for org in definition["peer_orgs"] for p in org["peers"] if p["name"] == node)
