"""Orderers of several organisations (deploy/networks/bft.yaml): crypto for every orderer org, a genesis block whose
consenters each carry their own org, node configs that trust every org's TLS CA, and the CLI steps. No node starts:
the orderer refuses consensus type "bft" until its plugin is registered."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.common import channel, material, msp
from gridledger.ops import cryptogen, genesis
from gridledger.ops.localnet import LocalNetwork
from gridledger.ops.netconfig import load_network
from gridledger.v1 import block_pb2
from tests.common.test_mtls import _call
from tests.conftest import NETWORKS

BFT = NETWORKS / "bft.yaml"
ORDERER_ORGS = ["UtilityMSP", "DsoMSP", "Aggregator1MSP", "Aggregator2MSP"]
PEER_ORGS = ["Org1MSP", "Org2MSP"]


@pytest.fixture(scope="module")
def bft_crypto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crypto-bft")
    cryptogen.generate(load_network(BFT), out)
    return out


def test_every_orderer_org_gets_cas_an_admin_and_its_orderers(bft_crypto: Path) -> None:
    network = load_network(BFT)
    for msp_id in ORDERER_ORGS:
        for ca in ("ca", "tlsca"):
            assert (bft_crypto / msp_id / ca / "cert.pem").exists() and (bft_crypto / msp_id / ca / "key.pem").exists()
        assert material.load_admin(bft_crypto, msp_id).msp_id == msp_id
    for msp_id, node in network.orderer_nodes():
        identity = material.load_identity(bft_crypto, msp_id, node.name)
        org_ca = (bft_crypto / msp_id / "ca" / "cert.pem").read_bytes()
        member = msp.MSP([msp.Organization(msp_id, org_ca)]).validate(identity.serialized())
        assert (member.msp_id, member.role) == (msp_id, "orderer")
    assert sorted(p.name for p in bft_crypto.iterdir() if p.is_dir()) == sorted(ORDERER_ORGS + PEER_ORGS)


def test_genesis_lists_every_orderer_org_and_each_consenter_with_its_own(bft_crypto: Path) -> None:
    network = load_network(BFT)
    block = block_pb2.Block.FromString(genesis.make_genesis(network, bft_crypto).SerializeToString())
    config = channel.config_from_block(block)
    assert list(config.orderer_orgs) == ORDERER_ORGS
    assert [org.msp_id for org in config.organizations] == ORDERER_ORGS + PEER_ORGS
    consenters = config.consensus.consenters
    assert [(c.id, c.msp_id) for c in consenters] == [(n.name, m) for m, n in network.orderer_nodes()]
    assert [c.msp_id for c in consenters] == ORDERER_ORGS
    assert [c.port for c in consenters] == [7050, 8050, 9050, 10050]
    for consenter in consenters:
        assert consenter.identity.msp_id == consenter.msp_id
        assert consenter.tls_cert == (material.member_dir(bft_crypto, consenter.msp_id, consenter.id)
                                      / "tls-cert.pem").read_bytes()
    assert config.consensus.type == "bft"
    bft = config.consensus.bft
    assert (bft.request_timeout_ms, bft.view_change_timeout_ms, bft.leader_rotation, bft.rotation_blocks) == \
        (500, 1000, True, 1)
    context = channel.ChannelContext.from_config(config)
    assert context.peer_orgs == tuple(PEER_ORGS), "orderer orgs are not peer orgs for MAJORITY, ANY and ALL"
    assert {p.msp_id for p in context.policies["LifecycleEndorsement"].principals()} == set(PEER_ORGS)


@pytest.mark.parametrize("signer", ORDERER_ORGS)
def test_the_admin_of_any_orderer_org_may_sign_the_genesis_block(bft_crypto: Path, signer: str) -> None:
    config = genesis.build_channel_config(load_network(BFT), bft_crypto)
    block = genesis.genesis_block(config, material.load_admin(bft_crypto, signer))
    assert list(channel.config_from_block(block).orderer_orgs) == ORDERER_ORGS


def test_a_peer_org_admin_may_not_sign_the_genesis_block(bft_crypto: Path) -> None:
    config = genesis.build_channel_config(load_network(BFT), bft_crypto)
    block = genesis.genesis_block(config, material.load_admin(bft_crypto, "Org1MSP"))
    with pytest.raises(channel.ConfigError, match="not signed by an orderer-org admin"):
        channel.config_from_block(block)


def test_node_configs_name_each_orderer_with_its_org_and_trust_every_org(tmp_path: Path) -> None:
    local = LocalNetwork(tmp_path)
    network = load_network(BFT)
    configs = {c.name: c for c in local.node_configs(network)}
    orderer_orgs = dict((n.name, m) for m, n in network.orderer_nodes())
    for config in configs.values():
        assert config.trusted_orgs == ORDERER_ORGS + PEER_ORGS
        assert {e.name: e.msp_id for e in config.orderers} == orderer_orgs
    assert {name: configs[name].msp_id for name in orderer_orgs} == orderer_orgs


def test_an_orderer_admits_orderers_and_peers_of_other_orgs_over_mutual_tls(bft_crypto: Path) -> None:
    """What the consenters' cluster links and the peers' deliver streams need: orderer0-utility (UtilityMSP) serves,
    orderer0-dso (DsoMSP) and peer0-org1 connect, each with the trust roots its node config gives it."""
    trusted = load_network(BFT).msp_ids
    server = material.load_member(bft_crypto, "UtilityMSP", "orderer0-utility", trusted).tls
    for msp_id, name in (("DsoMSP", "orderer0-dso"), ("Aggregator2MSP", "orderer0-aggregator2"),
                         ("Org1MSP", "peer0-org1")):
        client = material.load_member(bft_crypto, msp_id, name, trusted).tls
        reply = asyncio.run(_call(server, client))
        assert f"CN={name}".encode() in reply and f"O={msp_id}".encode() in reply


def test_cli_generates_crypto_and_genesis_for_the_bft_network(tmp_path: Path) -> None:
    runner = CliRunner()
    crypto, block_file = tmp_path / "crypto", tmp_path / "genesis.block"
    result = runner.invoke(app, ["crypto", "generate", "--network", str(BFT), "--out", str(crypto)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["channel", "genesis", "--network", str(BFT), "--crypto", str(crypto),
                                 "--out", str(block_file)])
    assert result.exit_code == 0, result.output
    assert "bft, 4 consenters, 2 peer orgs" in result.output
    config = channel.config_from_block(block_pb2.Block.FromString(block_file.read_bytes()))
    assert [c.msp_id for c in config.consensus.consenters] == ORDERER_ORGS
    assert config.orderer_orgs[0] == "UtilityMSP"
