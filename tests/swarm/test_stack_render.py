"""The swarm stack file, checked without a swarm: every file a node reads reaches it as a config or a secret (no
bind mount), keys only as secrets its user alone reads, placement by org label, one overlay network per channel,
TLS names that are the service names; the docker CLI's own stack loader accepts the file. Also the compose target
of `network render`, which must stay the committed docker-compose.yml."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from gridledger.common.nodeconfig import NodeConfig
from gridledger.ops.docker.swarm import SwarmNetwork
from gridledger.ops.netconfig import load_network
from gridledger.ops.render.model import IMAGE_UID, services
from gridledger.ops.render.swarm import org_label
from gridledger.ops.render.targets import render_to

REPO = Path(__file__).resolve().parents[2]
NETWORKS = [REPO / "deploy" / "networks" / n for n in ("default.yaml", "bft.yaml")]


@pytest.fixture(scope="module", params=NETWORKS, ids=[p.stem for p in NETWORKS])
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> SwarmNetwork:
    """The data folder and stack file `network up --swarm` makes before it deploys."""
    swarm = SwarmNetwork(tmp_path_factory.mktemp("stack") / "data")
    swarm.prepare(request.param)
    return swarm


def _stack(swarm: SwarmNetwork) -> dict:
    return yaml.safe_load(swarm.stack_file.read_text())


def test_every_file_of_a_node_folder_arrives_as_a_config_or_a_secret(prepared: SwarmNetwork) -> None:
    """What Compose bind-mounts (the node folder) is exactly what the swarm service gets, file by file."""
    stack = _stack(prepared)
    stored = {**stack["configs"], **stack["secrets"]}
    for name, service in stack["services"].items():
        assert {v["type"] for v in service["volumes"]} == {"volume", "tmpfs"}, f"{name} has a bind mount"
        folder = prepared.layout.node_dir(name)
        mounted = {}
        for entry in [*service["configs"], *service["secrets"]]:
            source = prepared.stack_file.parent / stored[entry["source"]]["file"]
            mounted[entry["target"]] = source.read_bytes()
        expected = {f"/etc/gridledger/{p.relative_to(folder)}": p.read_bytes() for p in folder.rglob("*")
                    if p.is_file()}
        assert {t: c for t, c in mounted.items() if t.startswith("/etc/gridledger/")} == expected, name


def test_keys_are_secrets_only_the_image_user_reads(prepared: SwarmNetwork) -> None:
    stack = _stack(prepared)
    used_configs, used_secrets = set(), set()
    for service in stack["services"].values():
        for entry in service["secrets"]:
            assert entry["target"].endswith("key.pem")
            assert (entry["uid"], entry["gid"], entry["mode"]) == (str(IMAGE_UID), str(IMAGE_UID), 0o400)
            used_secrets.add(entry["source"])
        for entry in service["configs"]:
            assert not entry["target"].endswith("key.pem")
            used_configs.add(entry["source"])
    assert used_secrets == set(stack["secrets"]) and used_configs == set(stack["configs"])
    base = prepared.stack_file.parent
    for declared in stack["secrets"].values():
        assert b"PRIVATE KEY" in (base / declared["file"]).read_bytes()
    for declared in stack["configs"].values():
        assert b"PRIVATE KEY" not in (base / declared["file"]).read_bytes()


def test_placement_network_and_restarts(prepared: SwarmNetwork) -> None:
    stack = _stack(prepared)
    network = prepared.definition()
    assert stack["networks"] == {network.channel: {"driver": "overlay", "attachable": True}}
    model = {s.name: s for s in services(network)}
    assert list(stack["services"]) == list(model)
    for name, service in stack["services"].items():
        deploy = service["deploy"]
        assert deploy["placement"]["constraints"] == [f"node.labels.{org_label(model[name].msp_id)} == true"]
        assert deploy["replicas"] == 1 and deploy["restart_policy"]["condition"] == "any"
        assert deploy["update_config"]["order"] == "stop-first"
        assert service["networks"] == [network.channel]
        assert service["healthcheck"]["test"] == model[name].probe_command()
        assert [p["published"] for p in service["ports"]] == list(model[name].ports)
        assert {f"{name}-data"} == {v["source"] for v in service["volumes"] if v["type"] == "volume"}


def test_tls_names_are_the_service_names(prepared: SwarmNetwork) -> None:
    """Nodes dial each other by service name on the overlay network; each certificate must carry that name."""
    stack = _stack(prepared)
    for msp_id, _, node in prepared.definition().all_nodes():
        folder = prepared.layout.node_dir(node.name)
        cert = x509.load_pem_x509_certificate(
            (folder / "crypto" / msp_id / "members" / node.name / "tls-cert.pem").read_bytes())
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert node.name in names.get_values_for_type(x509.DNSName)
        config = NodeConfig.load(folder / "node.json")
        for endpoint in [*config.orderers, *config.peers]:
            host, port = endpoint.address.rsplit(":", 1)
            assert host in stack["services"] and int(port) in {p["target"] for p in stack["services"][host]["ports"]}


@pytest.mark.skipif(shutil.which("docker") is None, reason="the docker CLI is not installed")
def test_the_docker_cli_loads_the_stack(prepared: SwarmNetwork) -> None:
    """`docker stack config` runs the CLI's own Compose loader and schema (no engine needed): unknown or
    misplaced keys fail here as they would at deploy."""
    result = subprocess.run(["docker", "stack", "config", "--compose-file", str(prepared.stack_file)],
                            capture_output=True, text=True, cwd=prepared.stack_file.parent, timeout=60)
    if result.returncode != 0 and "unknown command" in result.stderr:
        pytest.skip("this docker CLI has no `stack config`")
    assert result.returncode == 0, result.stderr
    assert set(yaml.safe_load(result.stdout)["services"]) == set(_stack(prepared)["services"])


def test_render_target_compose_is_the_committed_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "out"
    written = render_to(Path("deploy/networks/default.yaml"), "compose", out, out / ".gridledger")
    assert [p.name for p in written] == ["docker-compose.yml"]
    assert written[0].read_text() == (REPO / "docker-compose.yml").read_text()


def test_render_refuses_an_unknown_target(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="compose, swarm, k8s"):
        render_to(NETWORKS[0], "nomad", tmp_path, tmp_path / "data")
    assert load_network(NETWORKS[0]).name == "default"


def test_the_cli_renders_every_target(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gridledger.cli.app import app

    expected = {"compose": {"docker-compose.yml"}, "swarm": {"stack.yml"}}
    for target in ("compose", "swarm", "k8s"):
        out = tmp_path / target
        result = CliRunner().invoke(app, ["network", "render", "--network", str(NETWORKS[0]), "--target", target,
                                          "--out", str(out), "--data-dir", str(tmp_path / "data")])
        assert result.exit_code == 0, result.output
        names = {p.name for p in out.iterdir()}
        assert names == expected.get(target, names) and names
    assert "00-namespace.yaml" in {p.name for p in (tmp_path / "k8s").iterdir()}
    bad = CliRunner().invoke(app, ["network", "render", "--network", str(NETWORKS[0]), "--target", "nomad",
                                   "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "compose, swarm, k8s" in bad.output
