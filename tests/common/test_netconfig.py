import copy
from pathlib import Path

import pytest
import yaml

from gridledger.ops.netconfig import NetworkConfigError, load_network, parse_network
from tests.conftest import NETWORKS


@pytest.mark.parametrize("name", ["dev", "raft", "default"])
def test_shipped_networks_are_valid(name: str) -> None:
    network = load_network(NETWORKS / f"{name}.yaml")
    assert network.name == name


def test_default_uses_the_recommended_consensus() -> None:
    assert load_network(NETWORKS / "default.yaml").consensus.type == "raft"


def raft_data() -> dict:
    return yaml.safe_load((NETWORKS / "raft.yaml").read_text())


def mutate(change) -> dict:
    data = copy.deepcopy(raft_data())
    change(data)
    return data


CASES = [
    ("unknown consensus", lambda d: d["consensus"].update(type="paxos"),
     ["consensus.type", "'paxos' is not allowed", "'solo', 'raft' or 'bft'"]),
    ("raft with 2 orderers", lambda d: d["orderer_org"]["orderers"].pop(),
     ["needs 3 or 5 orderers, found 2"]),
    ("duplicate port", lambda d: d["peer_orgs"][0]["peers"][1].update(port=7051),
     ["port 7051 is used twice"]),
    ("duplicate node name", lambda d: d["peer_orgs"][1]["peers"][0].update(name="peer0-org1"),
     ["node name 'peer0-org1' is used twice"]),
    ("port out of range", lambda d: d["peer_orgs"][0]["peers"][0].update(port=80),
     ["peer_orgs.0.peers.0.port", "greater than or equal to 1024"]),
    ("misspelt field", lambda d: d["batch"].update(batch_timeout=5),
     ["batch.batch_timeout", "unknown field"]),
    ("policy naming an unknown org", lambda d: d["policies"].update(endorsement="AND('Org1MSP.peer','Org7MSP.peer')"),
     ["policies.endorsement", "Org7MSP"]),
    ("malformed policy", lambda d: d["policies"].update(endorsement="AND('Org1MSP.peer',"),
     ["policies.endorsement"]),
    ("bad msp id", lambda d: d["peer_orgs"][0].update(msp_id="Org 1"),
     ["peer_orgs.0.msp_id", "does not match"]),
    ("preferred above absolute", lambda d: d["batch"].update(preferred_max_bytes=20_000_000),
     ["preferred_max_bytes must not exceed absolute_max_bytes"]),
    ("solo with three orderers", lambda d: d["consensus"].update(type="solo"),
     ["'solo' needs exactly 1 orderer"]),
    ("missing peer orgs", lambda d: d.pop("peer_orgs"), ["peer_orgs: Field required"]),
]


@pytest.mark.parametrize(("label", "change", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_invalid_definitions_name_file_field_and_fix(label: str, change, fragments: list[str]) -> None:
    with pytest.raises(NetworkConfigError) as info:
        parse_network(mutate(change), "nets/broken.yaml")
    message = str(info.value)
    assert message.startswith("nets/broken.yaml: ")
    for fragment in fragments:
        assert fragment in message


def test_unreadable_and_non_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(NetworkConfigError, match="cannot read"):
        load_network(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(NetworkConfigError, match=r"bad.yaml: not valid YAML"):
        load_network(bad)
    bad.write_text("- just a list\n")
    with pytest.raises(NetworkConfigError, match="expected a mapping"):
        load_network(bad)
