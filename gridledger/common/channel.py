"""The channel configuration as every node uses it: built from a network definition, read back from a config
block, and turned into the MSP, the parsed policies and the consenter set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import hashing, msp
from gridledger.common.cryptogen import ADMIN, member_dir
from gridledger.common.netconfig import POLICY_ROLES, NetworkDefinition
from gridledger.common.policy import Policy, parse_policy
from gridledger.v1 import block_pb2, config_pb2, transaction_pb2

# Channel policy names as stored in ChannelConfig.policies.
POLICY_NAMES = {"endorsement": "Endorsement", "lifecycle_endorsement": "LifecycleEndorsement",
                "writers": "Writers", "readers": "Readers", "admins": "Admins"}


class ConfigError(ValueError):
    """A config block or envelope that cannot be trusted or read."""


def build_channel_config(network: NetworkDefinition, crypto_dir: Path, host: str = "127.0.0.1") -> \
        config_pb2.ChannelConfig:
    """The channel config for `network`, with org CAs from `crypto_dir`; consenters are reached at `host`
    (127.0.0.1 for local processes; None-like empty string means "by node name", as in containers)."""
    orgs = []
    for msp_id in [network.orderer_org.msp_id, *network.peer_msp_ids]:
        orgs.append(config_pb2.OrganizationConfig(
            msp_id=msp_id,
            root_cert=(crypto_dir / msp_id / "ca" / "cert.pem").read_bytes(),
            tls_root_cert=(crypto_dir / msp_id / "tlsca" / "cert.pem").read_bytes(),
        ))
    consenters = []
    for node in network.orderer_org.orderers:
        folder = member_dir(crypto_dir, network.orderer_org.msp_id, node.name)
        consenters.append(config_pb2.Consenter(
            id=node.name, msp_id=network.orderer_org.msp_id, host=host or node.name, port=node.port,
            identity=msp.SigningIdentity.from_pem(network.orderer_org.msp_id, (folder / "cert.pem").read_bytes(),
                                                  (folder / "key.pem").read_bytes()).serialized(),
            tls_cert=(folder / "tls-cert.pem").read_bytes(),
        ))
    raft, bft = network.consensus.raft, network.consensus.bft
    return config_pb2.ChannelConfig(
        channel_id=network.channel,
        sequence=0,
        organizations=orgs,
        orderer_orgs=[network.orderer_org.msp_id],
        consensus=config_pb2.ConsensusConfig(
            type=network.consensus.type,
            consenters=consenters,
            raft=config_pb2.RaftOptions(**raft.model_dump()),
            bft=config_pb2.BftOptions(**bft.model_dump()),
        ),
        batch=config_pb2.BatchConfig(**network.batch.model_dump()),
        policies={POLICY_NAMES[field]: getattr(network.policies, field) for field in POLICY_NAMES},
    )


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


def load_admin(crypto_dir: Path, msp_id: str) -> msp.SigningIdentity:
    folder = member_dir(crypto_dir, msp_id, ADMIN)
    return msp.SigningIdentity.from_pem(msp_id, (folder / "cert.pem").read_bytes(), (folder / "key.pem").read_bytes())


def config_from_block(block: block_pb2.Block) -> config_pb2.ChannelConfig:
    """Read and verify the config in a config block: data hash, the envelope's signature and the admins' signatures
    (every signer must be a valid admin of an orderer org listed in the config itself)."""
    if len(block.data.envelopes) != 1:
        raise ConfigError(f"a config block holds exactly one envelope, block {block.header.number} has "
                          f"{len(block.data.envelopes)}")
    if hashing.data_hash(block.data.envelopes) != block.header.data_hash:
        raise ConfigError(f"block {block.header.number}: data hash does not match its envelopes")
    try:
        envelope = transaction_pb2.Envelope.FromString(block.data.envelopes[0])
        payload = transaction_pb2.Payload.FromString(envelope.payload)
        header = transaction_pb2.Header.FromString(payload.header)
        config_envelope = config_pb2.ConfigEnvelope.FromString(payload.data)
        config = config_pb2.ChannelConfig.FromString(config_envelope.config)
    except Exception as exc:  # protobuf raises DecodeError and friends
        raise ConfigError(f"block {block.header.number}: malformed config envelope ({exc})") from None
    if header.type != transaction_pb2.CONFIG:
        raise ConfigError(f"block {block.header.number} is not a config block")
    members = msp.MSP(organizations(config))
    try:
        creator = members.validate(header.creator, roles=("admin",))
    except msp.IdentityError as exc:
        raise ConfigError(f"config envelope creator: {exc}") from None
    if creator.msp_id not in config.orderer_orgs or not creator.verify(envelope.payload, envelope.signature):
        raise ConfigError("config envelope is not signed by an orderer-org admin")
    if not config_envelope.signatures:
        raise ConfigError("config has no admin signatures")
    for signature in config_envelope.signatures:
        try:
            signer = members.validate(signature.signer, roles=("admin",))
        except msp.IdentityError as exc:
            raise ConfigError(f"config signature: {exc}") from None
        if not signer.verify(config_envelope.config, signature.signature):
            raise ConfigError(f"config signature of {signer.name} ({signer.msp_id}) does not verify")
    return config


def organizations(config: config_pb2.ChannelConfig) -> list[msp.Organization]:
    return [msp.Organization(org.msp_id, org.root_cert, frozenset(org.revoked_serials))
            for org in config.organizations]


@dataclass(frozen=True)
class ChannelContext:
    """What a node derives from the channel config once, and then consults on every transaction."""

    config: config_pb2.ChannelConfig
    msp: msp.MSP
    policies: dict[str, Policy]

    @classmethod
    def from_config(cls, config: config_pb2.ChannelConfig) -> ChannelContext:
        orderer_orgs = set(config.orderer_orgs)
        peer_orgs = [org.msp_id for org in config.organizations if org.msp_id not in orderer_orgs]
        roles = {POLICY_NAMES[field]: role for field, role in POLICY_ROLES.items()}
        policies = {name: parse_policy(expr, peer_orgs, default_role=roles.get(name, "member"))
                    for name, expr in config.policies.items()}
        return cls(config, msp.MSP(organizations(config)), policies)

    @property
    def channel_id(self) -> str:
        return self.config.channel_id

    @property
    def peer_orgs(self) -> list[str]:
        orderer_orgs = set(self.config.orderer_orgs)
        return [org.msp_id for org in self.config.organizations if org.msp_id not in orderer_orgs]

    def tls_roots(self) -> bytes:
        return b"".join(org.tls_root_cert for org in self.config.organizations)
