"""`gridledger network ... --docker` without an engine: what the data folder says decides, errors say what to do."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.ops.docker import DockerNetwork

SOLO_2X2 = Path(__file__).resolve().parent / "solo-2x2.yaml"


def test_status_and_down_without_a_container_network_say_how_to_start_one(tmp_path: Path) -> None:
    runner = CliRunner()
    for command in (["network", "status", "--docker"], ["network", "down", "--docker"]):
        result = runner.invoke(app, [*command, "--data-dir", str(tmp_path)])
        assert result.exit_code == 1, result.output
        assert "network up --docker" in result.output


def test_up_docker_checks_the_network_definition_first(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nconsensus: {type: paxos}\n")
    result = CliRunner().invoke(app, ["network", "up", "--docker", "--network", str(bad), "--data-dir",
                                      str(tmp_path / "data")])
    assert result.exit_code == 2
    assert "consensus.type" in result.output
    assert not (tmp_path / "data").exists()


def test_a_folder_with_containers_is_handled_as_containers(tmp_path: Path, monkeypatch) -> None:
    DockerNetwork(tmp_path / "data", project="gridledger-test-cli").prepare(SOLO_2X2)
    seen = []
    monkeypatch.setattr(DockerNetwork, "down", lambda self, purge=False: seen.append(("down", purge)))
    result = CliRunner().invoke(app, ["network", "down", "--purge", "--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 0, result.output
    assert seen == [("down", True)]
    assert "volumes" in result.output
