import copy
from pathlib import Path

import pytest
import yaml

from gridledger.ops.netconfig import NetworkConfigError, load_network, parse_network
from tests.conftest import NETWORKS


@pytest.mark.parametrize("name", ["dev", "raft", "default", "bft"])
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
    ("no orderer org", lambda d: d.pop("orderer_org"),
     ["(top level): give exactly one of orderer_org", "and orderer_orgs", "found neither"]),
    ("both orderer org forms", lambda d: d.update(orderer_orgs=[d["orderer_org"]]),
     ["(top level): give exactly one of orderer_org", "found both"]),
    ("empty orderer orgs", lambda d: d.update(orderer_orgs=[], orderer_org=None),
     ["orderer_orgs: List should have at least 1 item"]),
    ("orderer org reusing a peer org's msp id",
     lambda d: d.update(orderer_orgs=[d.pop("orderer_org"), {"msp_id": "Org1MSP", "orderers": [
         {"name": "orderer9", "port": 7999}]}], consensus={"type": "bft"}),
     ["organisation msp_id 'Org1MSP' is used twice"]),
    ("bft counting orderers across orgs", lambda d: d.update(orderer_orgs=[d.pop("orderer_org"), {
        "msp_id": "DsoMSP", "orderers": [{"name": "orderer9", "port": 7999}, {"name": "orderer8", "port": 7998}]}],
        consensus={"type": "bft"}),
     ["consensus 'bft' needs 3f+1 orderers (4, 7, 10, ...), found 5"]),
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


def test_one_orderer_org_or_several_read_the_same() -> None:
    """`orderer_org: X` and `orderer_orgs: [X]` describe the same ordering service to every caller."""
    single = parse_network(raft_data())
    listed = parse_network(mutate(lambda d: d.update(orderer_orgs=[d.pop("orderer_org")])))
    for network in (single, listed):
        assert [org.msp_id for org in network.all_orderer_orgs] == ["OrdererMSP"]
        assert network.orderer_msp_ids == ["OrdererMSP"]
        assert network.msp_ids == ["OrdererMSP", "Org1MSP", "Org2MSP"]
        assert [(m, n.name) for m, n in network.orderer_nodes()] == [("OrdererMSP", f"orderer{i}") for i in range(3)]
    assert single.all_nodes() == listed.all_nodes()


def test_bft_network_has_four_orderer_orgs_and_the_raft_peers() -> None:
    bft, raft = load_network(NETWORKS / "bft.yaml"), load_network(NETWORKS / "raft.yaml")
    orgs = ["UtilityMSP", "DsoMSP", "Aggregator1MSP", "Aggregator2MSP"]
    assert bft.orderer_org is None and bft.orderer_msp_ids == orgs
    assert [m for m, _ in bft.orderer_nodes()] == orgs, "one orderer per organisation"
    assert bft.msp_ids == [*orgs, "Org1MSP", "Org2MSP"]
    assert bft.consensus.type == "bft"
    assert bft.consensus.bft.model_dump() == {"request_timeout_ms": 500, "view_change_timeout_ms": 1000,
                                              "leader_rotation": True, "rotation_blocks": 1}
    assert bft.peer_orgs == raft.peer_orgs and bft.policies == raft.policies and bft.batch == raft.batch
    assert [c.name for c in bft.chaincodes] == ["kv"]
    # The shipped networks share one port plan (they run one at a time): orderer i on 7050 + 1000 i.
    assert [n.port for _, n in bft.orderer_nodes()] == [7050, 8050, 9050, 10050]
    assert [n.port for _, n in bft.orderer_nodes()][:3] == [n.port for _, n in raft.orderer_nodes()]
