import stat
import subprocess
from pathlib import Path

import pytest

from gridledger.common import channel, hashing, material, msp
from gridledger.ops import cryptogen, genesis
from gridledger.ops.netconfig import load_network
from gridledger.v1 import block_pb2, config_pb2, transaction_pb2


def test_keys_are_private_and_certificates_readable(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto = raft_crypto
    keys = list(crypto.rglob("*key.pem"))
    assert keys and all(stat.S_IMODE(k.stat().st_mode) == 0o600 for k in keys)


def test_generate_is_idempotent_and_force_replaces(tmp_path: Path) -> None:
    network = load_network(Path("deploy/networks/dev.yaml"))
    first = cryptogen.generate(network, tmp_path)
    peer_cert = material.member_dir(tmp_path, "Org1MSP", "peer0-org1") / "cert.pem"
    before = peer_cert.read_bytes()
    assert first and cryptogen.generate(network, tmp_path) == []
    assert peer_cert.read_bytes() == before
    assert cryptogen.generate(network, tmp_path, force=True)
    assert peer_cert.read_bytes() != before


def test_signing_ca_issues_identities_the_org_msp_accepts(raft_crypto: tuple[Path, Path], tmp_path: Path) -> None:
    _, crypto = raft_crypto
    ca = material.signing_ca(crypto, "Org1MSP")
    issued = msp.issue_identity(ca, "prosumer-h001", "client")
    household = msp.SigningIdentity.from_pem("Org1MSP", issued.cert_pem, issued.key_pem)
    org_ca = (crypto / "Org1MSP" / "ca" / "cert.pem").read_bytes()
    member = msp.MSP([msp.Organization("Org1MSP", org_ca)]).validate(household.serialized(), roles=["client"])
    assert member.msp_id == "Org1MSP" and member.role == "client"
    with pytest.raises(FileNotFoundError, match="no signing CA of Org9MSP"):
        material.signing_ca(tmp_path, "Org9MSP")


@pytest.mark.skipif(subprocess.run(["which", "openssl"], capture_output=True).returncode != 0,
                    reason="openssl is not installed")
def test_openssl_reads_and_verifies_every_certificate(raft_crypto: tuple[Path, Path]) -> None:
    _, crypto = raft_crypto
    certs = sorted(crypto.rglob("*cert.pem"))
    assert len(certs) > 20
    for cert in certs:
        subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-text"], check=True, capture_output=True)
    for member in sorted(crypto.glob("*/members/*")):
        org = member.parent.parent
        for cert, ca in (("cert.pem", "ca"), ("tls-cert.pem", "tlsca")):
            result = subprocess.run(["openssl", "verify", "-CAfile", org / ca / "cert.pem", member / cert],
                                    capture_output=True, text=True)
            assert result.returncode == 0, result.stdout + result.stderr


def make_genesis(raft_crypto: tuple[Path, Path]) -> block_pb2.Block:
    network_file, crypto = raft_crypto
    network = load_network(network_file)
    config = genesis.build_channel_config(network, crypto)
    return genesis.genesis_block(config, genesis.signer(network, crypto))


def test_genesis_round_trip(raft_crypto: tuple[Path, Path]) -> None:
    block = block_pb2.Block.FromString(make_genesis(raft_crypto).SerializeToString())
    config = channel.config_from_block(block)
    assert config.channel_id == "energy"
    assert config.consensus.type == "raft" and len(config.consensus.consenters) == 3
    assert config.batch.batch_timeout_ms == 200
    assert config.policies["Endorsement"] == "AND('Org1MSP.peer', 'Org2MSP.peer')"
    context = channel.ChannelContext.from_config(config)
    assert context.peer_orgs == ("Org1MSP", "Org2MSP")


def _replace_config(block: block_pb2.Block, change) -> None:
    envelope = transaction_pb2.Envelope.FromString(block.data.envelopes[0])
    payload = transaction_pb2.Payload.FromString(envelope.payload)
    config_envelope = config_pb2.ConfigEnvelope.FromString(payload.data)
    change(config_envelope)
    payload.data = config_envelope.SerializeToString()
    envelope.payload = payload.SerializeToString()
    block.data.envelopes[0] = envelope.SerializeToString()


def test_tampered_genesis_is_rejected(raft_crypto: tuple[Path, Path]) -> None:
    block = make_genesis(raft_crypto)
    block.data.envelopes[0] = block.data.envelopes[0][:-1] + bytes([block.data.envelopes[0][-1] ^ 1])
    with pytest.raises(channel.ConfigError, match="data hash"):
        channel.config_from_block(block)


def test_genesis_with_changed_config_fails_signature_check(raft_crypto: tuple[Path, Path]) -> None:
    block = make_genesis(raft_crypto)

    def weaken(config_envelope: config_pb2.ConfigEnvelope) -> None:
        config = config_pb2.ChannelConfig.FromString(config_envelope.config)
        config.policies["Endorsement"] = "ANY"
        config_envelope.config = config.SerializeToString()

    _replace_config(block, weaken)
    block.header.data_hash = hashing.data_hash(block.data.envelopes)
    with pytest.raises(channel.ConfigError, match="not signed by an orderer-org admin"):
        channel.config_from_block(block)
