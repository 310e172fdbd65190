"""The channel configuration as every node uses it: read back and verified from a config block, and turned into
the MSP, the parsed policies and the consenter set. Building the genesis block is ops/genesis.py's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common import envelope as envelopes
from gridledger.common import hashing, msp
from gridledger.common.policy import Policy, parse_policy
from gridledger.v1 import block_pb2, config_pb2, transaction_pb2

# Channel policy names as stored in ChannelConfig.policies.
POLICY_NAMES = {"endorsement": "Endorsement", "lifecycle_endorsement": "LifecycleEndorsement",
                "writers": "Writers", "readers": "Readers", "admins": "Admins"}
# How each policy is read: the role that MAJORITY/ANY/ALL expand to, by network-definition field.
POLICY_ROLES = {"endorsement": "peer", "lifecycle_endorsement": "peer", "writers": "member", "readers": "member",
                "admins": "admin"}


class ConfigError(ValueError):
    """A config block or envelope that cannot be trusted or read."""


def config_from_block(block: block_pb2.Block) -> config_pb2.ChannelConfig:
    """Read and verify the config in a config block: data hash, the envelope's signature (by an admin of an orderer
    org listed in the config itself) and the config signatures (each by a valid admin of an org listed in it)."""
    if len(block.data.envelopes) != 1:
        raise ConfigError(f"a config block holds exactly one envelope, block {block.header.number} has "
                          f"{len(block.data.envelopes)}")
    if hashing.data_hash(block.data.envelopes) != block.header.data_hash:
        raise ConfigError(f"block {block.header.number}: data hash does not match its envelopes")
    try:
        opened = envelopes.open_stored(block.data.envelopes[0])
        config_envelope = envelopes.decode(config_pb2.ConfigEnvelope, opened.payload.data, "config envelope")
        config = envelopes.decode(config_pb2.ChannelConfig, config_envelope.config, "channel config")
    except envelopes.EnvelopeError as exc:
        raise ConfigError(f"block {block.header.number}: malformed config envelope ({exc})") from None
    envelope, header = opened.envelope, opened.header
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
    peer_orgs: tuple[str, ...]  # the organisations that are not orderer organisations, in config order

    @classmethod
    def from_config(cls, config: config_pb2.ChannelConfig) -> ChannelContext:
        orderer_orgs = set(config.orderer_orgs)
        peer_orgs = tuple(org.msp_id for org in config.organizations if org.msp_id not in orderer_orgs)
        roles = {POLICY_NAMES[field]: role for field, role in POLICY_ROLES.items()}
        policies = {name: parse_policy(expr, peer_orgs, default_role=roles.get(name, "member"))
                    for name, expr in config.policies.items()}
        return cls(config, msp.MSP(organizations(config)), policies, peer_orgs)

    @property
    def channel_id(self) -> str:
        return self.config.channel_id

    def tls_roots(self) -> bytes:
        return b"".join(org.tls_root_cert for org in self.config.organizations)
