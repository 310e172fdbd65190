"""The channel's genesis block, built from a network definition and the orgs' crypto material: what an operator
hands every node. Nodes only read it back (common/channel.py verifies a config block).
"""

from __future__ import annotations

import time
from pathlib import Path

from gridledger.common import hashing, msp
from gridledger.common.channel import POLICY_NAMES
from gridledger.common.material import load_admin, load_identity, member_dir
from gridledger.ops import provenance
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.v1 import block_pb2, config_pb2, transaction_pb2


def build_channel_config(network: NetworkDefinition, crypto_dir: Path, host: str = "127.0.0.1") -> \
        config_pb2.ChannelConfig:
    """The channel config for `network`, with org CAs from `crypto_dir`; consenters are reached at `host`
    (127.0.0.1 for local processes; None-like empty string means "by node name", as in containers)."""
    orgs = []
    for msp_id in network.msp_ids:
        orgs.append(config_pb2.OrganizationConfig(
            msp_id=msp_id,
            root_cert=(crypto_dir / msp_id / "ca" / "cert.pem").read_bytes(),
            tls_root_cert=(crypto_dir / msp_id / "tlsca" / "cert.pem").read_bytes(),
        ))
    consenters = []
    for msp_id, node in network.orderer_nodes():
        folder = member_dir(crypto_dir, msp_id, node.name)
        consenters.append(config_pb2.Consenter(
            id=node.name, msp_id=msp_id, host=host or node.name, port=node.port,
            identity=load_identity(crypto_dir, msp_id, node.name).serialized(),
            tls_cert=(folder / "tls-cert.pem").read_bytes(),
        ))
    raft, bft = network.consensus.raft, network.consensus.bft
    return config_pb2.ChannelConfig(
        channel_id=network.channel,
        sequence=0,
        organizations=orgs,
        orderer_orgs=network.orderer_msp_ids,
        consensus=config_pb2.ConsensusConfig(
            type=network.consensus.type,
            consenters=consenters,
            raft=config_pb2.RaftOptions(**raft.model_dump()),
            bft=config_pb2.BftOptions(**bft.model_dump()),
        ),
        batch=config_pb2.BatchConfig(**network.batch.model_dump()),
        policies={POLICY_NAMES[field]: getattr(network.policies, field) for field in POLICY_NAMES},
    )


def signer(network: NetworkDefinition, crypto_dir: Path) -> msp.SigningIdentity:
    """Who signs the genesis block: the admin of the first orderer organisation (nodes accept the admin of any
    orderer organisation the config lists)."""
    return load_admin(crypto_dir, network.orderer_msp_ids[0])


def make_genesis(network: NetworkDefinition, crypto_dir: Path, host: str = "127.0.0.1") -> block_pb2.Block:
    """The genesis block of `network` (build_channel_config's `host`), signed by `signer`."""
    return genesis_block(build_channel_config(network, crypto_dir, host), signer(network, crypto_dir))


def write_genesis(network: NetworkDefinition, crypto_dir: Path, path: Path, host: str = "127.0.0.1",
                  source: Path | None = None) -> block_pb2.Block:
    """Make the genesis block from `crypto_dir` (refused when that crypto material was made for another definition),
    write it to `path` and record beside it which definition it was made for (ops/provenance.py)."""
    provenance.check_crypto(network, crypto_dir, source)
    block = make_genesis(network, crypto_dir, host)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(block.SerializeToString())
    provenance.write(provenance.genesis_record(path), provenance.Provenance.of(network, source))
    return block


def check_material(network: NetworkDefinition, crypto_dir: Path, path: Path, host: str,
                   source: Path | None = None) -> None:
    """Raise provenance.ForeignMaterial when the crypto material in `crypto_dir`, or the genesis block at `path` if
    there is one, was made for another network definition: what `network up` checks before anything starts."""
    provenance.check_crypto(network, crypto_dir, source)
    if not path.exists():
        return
    try:
        expected = build_channel_config(network, crypto_dir, host)
    except FileNotFoundError as exc:
        raise provenance.ForeignMaterial(f"{path} cannot be checked: the crypto material it needs is missing "
                                         f"({exc.filename})") from None
    provenance.check_genesis(path, expected, provenance.Provenance.of(network, source), crypto_dir)


def genesis_block(config: config_pb2.ChannelConfig, admin: msp.SigningIdentity) -> block_pb2.Block:
    """Block 0: one CONFIG envelope holding the config, signed by an orderer-org admin."""
    config_bytes = config.SerializeToString()
    envelope_data = config_pb2.ConfigEnvelope(
        config=config_bytes,
        signatures=[config_pb2.ConfigSignature(signer=admin.serialized(), signature=admin.sign(config_bytes))],
    ).SerializeToString()
    nonce = hashing.sha256(config_bytes)[:24]
    header = transaction_pb2.Header(
        type=transaction_pb2.CONFIG, channel_id=config.channel_id, tx_id=hashing.tx_id(nonce, admin.certificate),
        timestamp_ns=time.time_ns(), creator=admin.serialized(), nonce=nonce,
    ).SerializeToString()
    payload = transaction_pb2.Payload(header=header, data=envelope_data).SerializeToString()
    envelope = transaction_pb2.Envelope(payload=payload, signature=admin.sign(payload)).SerializeToString()
    block = block_pb2.Block()
    block.header.number = 0
    block.header.data_hash = hashing.data_hash([envelope])
    block.data.envelopes.append(envelope)
    block.metadata.last_config = 0
    return block
