"""Finding a member in a data folder (gridledger/sdk/local.py) without a running network: what the folder gives,
and the precise error for each thing that is missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridledger.sdk import LocalNetworkError, local_member, read_local_profile
from tests.sdk.support import data_folder


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data_folder(tmp_path_factory.mktemp("profile"), orgs=2, peers_per_org=2)


def test_the_profile_has_channel_peers_and_acting_users(data_dir: Path) -> None:
    profile = read_local_profile(data_dir)
    assert profile.channel == "energy" and profile.orgs == ["Org1MSP", "Org2MSP"]
    assert [p.name for p in profile.peers["Org2MSP"]] == ["peer0-org2", "peer1-org2"]
    assert profile.peers["Org2MSP"][0].address.startswith("127.0.0.1:")
    assert profile.users("Org1MSP") == ["admin", "user1"]  # peers have certificates too, but do not act


def test_member_defaults_to_the_first_org_and_its_first_client(data_dir: Path) -> None:
    member = local_member(data_dir)
    assert (member.org, member.user, member.peer.name, member.channel) == ("Org1MSP", "user1", "peer0-org1", "energy")
    admin = local_member(data_dir, "Org2MSP", "admin")
    assert admin.material.identity.msp_id == "Org2MSP" and admin.peer.name == "peer0-org2"
    trusted = admin.material.tls.root_certs_pem
    assert trusted.count(b"BEGIN CERTIFICATE") == 3  # the orderer org's and both peer orgs' TLS CAs


def test_a_user_who_is_not_a_client_is_named_with_the_clients(data_dir: Path) -> None:
    with pytest.raises(LocalNetworkError) as found:
        local_member(data_dir, "Org1MSP", "bob")
    message = str(found.value)
    assert "'bob' is not a client of Org1MSP" in message and "its clients are user1" in message
    assert "crypto generate" in message and "peer0-org1" not in message
    with pytest.raises(LocalNetworkError, match=r"OrgXMSP is not a peer organisation .* Org1MSP, Org2MSP"):
        local_member(data_dir, "OrgXMSP")


def test_a_folder_without_a_network_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(LocalNetworkError, match=r"no network in .*network up --local"):
        read_local_profile(tmp_path)
    (tmp_path / "network.json").write_text("{}")
    with pytest.raises(LocalNetworkError, match="not a network marker"):
        read_local_profile(tmp_path)
    (tmp_path / "network.json").write_text(json.dumps({"network_file": str(tmp_path / "gone.yaml")}))
    with pytest.raises(LocalNetworkError, match=r"gone\.yaml, which cannot be read"):
        read_local_profile(tmp_path)


def test_crypto_material_missing_for_an_org_says_what_makes_it(data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "network.json").write_text((data_dir / "network.json").read_text())
    with pytest.raises(LocalNetworkError, match="no crypto material of Org1MSP"):
        local_member(tmp_path)
