"""A data folder belongs to one network definition (ops/provenance.py): `crypto generate` and `channel genesis`
record which, and `network up` (local and containers) refuses crypto material or a genesis block made for another
definition before anything starts, saying which definition it was and what to do. No node starts here."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.ops import cryptogen, provenance
from gridledger.ops.docker import DockerError
from gridledger.ops.docker import prepare as docker_prepare
from gridledger.ops.localnet import LocalNetwork, NetworkError
from gridledger.ops.netconfig import load_network, parse_network
from tests.conftest import NETWORKS

DEV, RAFT = NETWORKS / "dev.yaml", NETWORKS / "raft.yaml"
SOLO_2X2 = Path(__file__).resolve().parents[1] / "docker" / "solo-2x2.yaml"


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def readme_material(data: Path, network: Path = RAFT) -> None:
    """What the README's `crypto generate` / `channel genesis` example does, into `data`."""
    cli("crypto", "generate", "--network", network, "--out", data / "crypto")
    cli("channel", "genesis", "--network", network, "--crypto", data / "crypto", "--out", data / "genesis.block")


@pytest.fixture(scope="module")
def raft_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Crypto and genesis of raft.yaml, made by the CLI; tests copy it."""
    folder = tmp_path_factory.mktemp("raft-folder")
    readme_material(folder)
    return folder


def copy_of(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(folder, target)
    return target


def test_the_cli_records_the_definition_beside_crypto_and_genesis(raft_folder: Path) -> None:
    wanted = provenance.Provenance.of(load_network(RAFT), RAFT)
    assert provenance.read(raft_folder / "crypto" / "definition.json") == wanted
    assert provenance.read(raft_folder / "genesis.definition.json") == wanted
    assert wanted.name == "raft" and wanted.file == str(RAFT.resolve())


def test_up_refuses_a_folder_made_for_another_definition_and_writes_nothing(raft_folder: Path,
                                                                            tmp_path: Path) -> None:
    """Issue 16 item 3: raft material in the data folder, then `network up --network dev.yaml`."""
    data = copy_of(raft_folder, tmp_path)
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    with pytest.raises(NetworkError) as info:
        LocalNetwork(data).prepare(DEV)
    message = str(info.value)
    assert f"{data / 'crypto'} holds crypto material generated for network definition 'raft' ({RAFT.resolve()}" \
        in message
    assert f"not for network definition 'dev' ({DEV.resolve()}" in message
    assert f"Nothing was started; use another --data-dir, or delete it: `gridledger network down --purge " \
           f"--data-dir {data.resolve()}`; or start the network it was made for: `gridledger network up --network " \
           f"{RAFT.resolve()} --data-dir {data.resolve()}`" in message
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before, "nothing written, not even network.json"


def test_up_refuses_it_from_the_command_line_before_any_node_starts(raft_folder: Path, tmp_path: Path) -> None:
    data = copy_of(raft_folder, tmp_path)
    result = CliRunner().invoke(app, ["network", "up", "--network", str(DEV), "--data-dir", str(data)])
    assert result.exit_code == 1
    assert "generated for network definition 'raft'" in " ".join(result.output.split())
    assert not (data / "nodes").exists()


def test_the_definition_it_was_made_for_uses_it_as_it_is(raft_folder: Path, tmp_path: Path) -> None:
    data = copy_of(raft_folder, tmp_path)
    genesis = (data / "genesis.block").read_bytes()
    LocalNetwork(data).prepare(RAFT)
    assert (data / "genesis.block").read_bytes() == genesis
    assert (data / "nodes" / "orderer2" / "node.json").exists()


def edited(source: Path, folder: Path, change) -> Path:
    data = yaml.safe_load(source.read_text())
    change(data)
    path = folder / source.name
    path.write_text(yaml.safe_dump(data))
    return path


def test_an_edited_definition_is_another_definition_but_a_new_chaincode_is_not(tmp_path: Path) -> None:
    network_file = edited(RAFT, tmp_path, lambda d: None)
    data = tmp_path / "data"
    LocalNetwork(data).prepare(network_file)
    genesis = (data / "genesis.block").read_bytes()
    edited(RAFT, tmp_path, lambda d: d["chaincodes"].append({"name": "market", "path": "gridledger/chaincode/market"}))
    LocalNetwork(data).prepare(network_file)
    assert (data / "genesis.block").read_bytes() == genesis
    edited(RAFT, tmp_path, lambda d: d["batch"].update(batch_timeout_ms=50))
    with pytest.raises(NetworkError, match=r"generated from an earlier version of .*raft.yaml \(digest [0-9a-f]{12}; "
                                           r"the file now has digest [0-9a-f]{12}\)"):
        LocalNetwork(data).prepare(network_file)


def test_the_digest_ignores_layout_comments_defaults_and_chaincodes() -> None:
    raft = load_network(RAFT)
    data = yaml.safe_load(RAFT.read_text())
    data["batch"] = {**data["batch"]}
    data["policies"].update(writers="ANY")  # the default, spelt out
    data["chaincodes"] = []
    assert provenance.digest(parse_network(data)) == provenance.digest(raft)
    data["peer_orgs"][0]["clients"] = ["user1", "user2"]
    assert provenance.digest(parse_network(data)) != provenance.digest(raft)


def test_a_genesis_block_older_than_its_crypto_material_is_refused(raft_folder: Path, tmp_path: Path) -> None:
    data = copy_of(raft_folder, tmp_path)
    cli("crypto", "generate", "--network", RAFT, "--out", data / "crypto", "--force")
    with pytest.raises(NetworkError, match="its certificates are not the ones in the crypto folder"):
        LocalNetwork(data).prepare(RAFT)


def test_folders_without_records_are_checked_by_what_they_hold(raft_folder: Path, tmp_path: Path) -> None:
    """Folders made before definitions were recorded: crypto by its organisations, genesis by its config."""
    data = copy_of(raft_folder, tmp_path)
    (data / "crypto" / "definition.json").unlink()
    (data / "genesis.definition.json").unlink()
    with pytest.raises(NetworkError, match="holds crypto material of the organisations OrdererMSP, Org1MSP, Org2MSP "
                                           r"\(no record says for which network definition\)"):
        LocalNetwork(data).prepare(DEV)
    two_org_dev = edited(DEV, tmp_path, lambda d: d["peer_orgs"].append(
        {"msp_id": "Org2MSP", "peers": [{"name": "peer0-org2", "port": 9051}]}))
    with pytest.raises(NetworkError, match=r"its consenters: orderer0 .*orderer2 .*; the definition's: orderer0 "):
        LocalNetwork(data).prepare(two_org_dev)
    LocalNetwork(data).prepare(RAFT)  # what it was made for: accepted, and recorded from now on
    assert provenance.read(data / "crypto" / "definition.json").name == "raft"


def test_containers_refuse_a_folder_made_for_another_definition(tmp_path: Path) -> None:
    data = tmp_path / "data"
    docker_prepare(SOLO_2X2, data)
    (data / "network.json").unlink()  # left by another tool: only the material says whose it is
    with pytest.raises(DockerError) as info:
        docker_prepare(RAFT, data)
    message = " ".join(str(info.value).split())
    assert "holds crypto material generated for network definition 'solo-2x2'" in message
    assert "use another --data-dir" in message
    assert f"`gridledger network up --docker --network {SOLO_2X2} --data-dir {data.resolve()}`" in message
    assert not (data / "network.json").exists()


def test_crypto_generate_and_channel_genesis_refuse_another_definitions_folder(raft_folder: Path,
                                                                             tmp_path: Path) -> None:
    data = copy_of(raft_folder, tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["crypto", "generate", "--network", str(DEV), "--out", str(data / "crypto")])
    assert result.exit_code == 2 and "use another --out, or --force to replace it" in result.output
    result = runner.invoke(app, ["channel", "genesis", "--network", str(DEV), "--crypto", str(data / "crypto"),
                                 "--out", str(tmp_path / "dev.block")])
    assert result.exit_code == 2 and "generated for network definition 'raft'" in " ".join(result.output.split())
    assert not (tmp_path / "dev.block").exists()
    cli("crypto", "generate", "--network", DEV, "--out", data / "crypto", "--force")
    assert provenance.read(data / "crypto" / "definition.json").name == "dev"


def test_generate_without_a_source_still_records_the_digest(tmp_path: Path) -> None:
    network = load_network(DEV)
    cryptogen.generate(network, tmp_path)
    assert provenance.read(tmp_path / "definition.json") == provenance.Provenance(network.name,
                                                                                  provenance.digest(network))
