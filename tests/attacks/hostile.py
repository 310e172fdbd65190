"""The attackers' material and the one network the attack and abuse tests share.

The network is real (separate orderer, peer and REST processes, tests/integration/network.py's way), with Raft so
that the orderer serves the Cluster service, and one peer organisation. Before any node starts, a client
certificate of Org1MSP is issued and its serial written into the genesis block's revocation list: revocation lives
only in the channel config, so the network is started from that genesis block instead of through `up` (which
would refuse a genesis block that differs from what the definition alone gives). Every node runs with TEST_LIMITS
(node.json's `limits`), small enough for the abuse tests to reach.

The hostile identities are minted with the project's own issuers (common/msp.py): a foreign CA with the same name
as Org1's, a certificate that expired yesterday, the revoked one, and TLS material from a TLS CA nobody trusts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import yaml
from cryptography import x509

from gridledger.common import msp
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.material import MemberMaterial, load_identity, load_member, signing_ca, tls_roots
from gridledger.common.nodeconfig import Limits, NodeConfig
from gridledger.ops import genesis
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.localnet import LocalNetwork
from gridledger.sdk.wallet import FileWallet
from gridledger.services.rest.config import read_passphrase, rest_dir
from gridledger.services.rest.enrol import enroll
from gridledger.services.rest.users import UserStore
from tests.integration.network import REPO, free_ports

ORG = "Org1MSP"
ORDERER_ORG = "OrdererMSP"
CHANNEL = "energy"
TRUSTED = [ORDERER_ORG, ORG]
TEST_LIMITS = Limits(max_message_bytes=1024 * 1024, max_concurrent_streams=50, gateway_max_in_flight=8)


def _definition(folder: Path) -> Path:
    """Three Raft orderers (the Cluster service is served under Raft and BFT only; Raft needs 3 or 5) and one peer
    org with one peer."""
    ports = iter(free_ports(8))
    orderers = [{"name": f"orderer{i}", "port": next(ports), "operations_port": next(ports)} for i in range(3)]
    definition = {
        "name": "attacks", "channel": CHANNEL,
        "orderer_org": {"msp_id": ORDERER_ORG, "orderers": orderers},
        "peer_orgs": [{"msp_id": ORG, "clients": ["user1", "user2"], "peers": [
            {"name": "peer0-org1", "port": next(ports), "operations_port": next(ports)}]}],
        "consensus": {"type": "raft", "raft": {"tick_interval_ms": 50, "election_tick": 10, "heartbeat_tick": 1}},
        "batch": {"max_message_count": 100, "batch_timeout_ms": 200},
        "policies": {"endorsement": "ANY"},
    }
    path = folder / "network.yaml"
    path.write_text(yaml.safe_dump(definition))
    return path


ROLES = ("client", "admin")  # the roles entry points accept: admin for the Admin service, client elsewhere


@dataclass(frozen=True)
class Forged:
    """Certificates the network must refuse, one per role in ROLES, so that a refusal cannot come from the role."""

    pairs: dict[str, msp.KeyPair]

    def identity(self, role: str) -> msp.SigningIdentity:
        pair = self.pairs[role]
        return msp.SigningIdentity.from_pem(ORG, pair.cert_pem, pair.key_pem)


@dataclass(frozen=True)
class Attackers:
    """Signing identities and TLS material the network must refuse, and the legitimate ones to compare with."""

    user: MemberMaterial           # user1 of Org1MSP: a legitimate client
    admin: MemberMaterial          # Org1MSP's admin
    orderer_admin: MemberMaterial  # OrdererMSP's admin: a valid admin of another organisation
    orderer: MemberMaterial        # orderer0: a valid identity in the orderer role
    consenter: MemberMaterial      # orderer1: another consenter, whose TLS identity the cluster admits
    peer: MemberMaterial           # peer0-org1: a valid TLS identity that is no consenter
    foreign_ca: Forged             # issued by a CA named like Org1MSP's, with another key
    expired: Forged                # issued by Org1MSP's CA, valid until yesterday
    revoked: Forged                # issued by Org1MSP's CA, serial on the channel's revocation list
    foreign_tls: TlsMaterial       # a TLS certificate from a TLS CA no node trusts, trusting the real CAs

    @property
    def wrong_org(self) -> msp.SigningIdentity:
        """user1's real certificate and key, presented as a member of OrdererMSP."""
        return msp.SigningIdentity(ORDERER_ORG, self.user.identity.certificate, self.user.identity.signer)


def serial_hex(pair: msp.KeyPair) -> str:
    """A certificate's serial as revocation lists name it (common/msp.py)."""
    return format(x509.load_pem_x509_certificate(pair.cert_pem).serial_number, "x")


def mint_attackers(crypto: Path) -> Attackers:
    org_ca = signing_ca(crypto, ORG)
    foreign_ca = msp.new_signing_ca(ORG)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    rogue_tls = msp.issue_tls(msp.new_tls_ca(ORG), "mallory", ["localhost", "127.0.0.1"])
    return Attackers(
        user=load_member(crypto, ORG, "user1", TRUSTED), admin=load_member(crypto, ORG, "admin", TRUSTED),
        orderer_admin=load_member(crypto, ORDERER_ORG, "admin", TRUSTED),
        orderer=load_member(crypto, ORDERER_ORG, "orderer0", TRUSTED),
        consenter=load_member(crypto, ORDERER_ORG, "orderer1", TRUSTED),
        peer=load_member(crypto, ORG, "peer0-org1", TRUSTED),
        foreign_ca=Forged({role: msp.issue_identity(foreign_ca, f"mallory-{role}", role) for role in ROLES}),
        expired=Forged({role: msp.issue_identity(org_ca, f"expired-{role}", role, not_before=yesterday,
                                                 validity=dt.timedelta(days=1)) for role in ROLES}),
        revoked=Forged({role: msp.issue_identity(org_ca, f"revoked-{role}", role) for role in ROLES}),
        foreign_tls=TlsMaterial(rogue_tls.cert_pem, rogue_tls.key_pem, tls_roots(crypto, TRUSTED)))


def _write_genesis_revoking(local: LocalNetwork, serials: list[str]) -> None:
    """The genesis block of the prepared network, with `serials` on Org1MSP's revocation list."""
    network = local.definition()
    config = genesis.build_channel_config(network, local.crypto_dir)
    next(org for org in config.organizations if org.msp_id == ORG).revoked_serials.extend(serials)
    block = genesis.genesis_block(config, genesis.signer(network, local.crypto_dir))
    local.genesis_path.write_bytes(block.SerializeToString())


@dataclass
class HostileNetwork:
    local: LocalNetwork
    clients: NetworkClients
    attackers: Attackers
    rest_url: str
    rest_admin_token: str      # a REST user with every right (admin included)
    rest_user_token: str       # a REST user who signs offline with user2's key, registered
    rest_pending_token: str    # a REST user who signs offline and has no certificate yet
    offline_signer: msp.SigningIdentity  # user2's key: what carol signs with

    @property
    def peer_address(self) -> str:
        return self.clients.first_peer(ORG).address

    @property
    def orderer_address(self) -> str:
        node = self.clients.network.orderer_nodes()[0][1]
        return f"127.0.0.1:{node.port}"

    def channel(self, address: str, tls: TlsMaterial | None = None) -> grpc.aio.Channel:
        """A mutual-TLS channel as user1 (or with `tls`)."""
        return aio_channel(address, tls or self.attackers.user.tls)

    def operations_url(self, role: str) -> str:
        network = self.clients.network
        node = network.orderer_nodes()[0][1] if role == "orderer" else network.peer_orgs[0].peers[0]
        return f"http://127.0.0.1:{node.operations_port}"


def _set_limits(local: LocalNetwork, limits: Limits) -> None:
    for config in local.node_configs(local.definition()):
        path = local.node_dir(config.name) / "node.json"
        NodeConfig.load(path).model_copy(update={"limits": limits}).save(path)


def _enroll_rest_users(local: LocalNetwork) -> tuple[str, str, str]:
    state = rest_dir(local.data_dir, ORG)
    users = UserStore(state)
    wallet = FileWallet(state / "wallet", read_passphrase(state))
    crypto = local.crypto_dir
    admin = enroll(users, wallet, crypto, ORG, "ops", scopes=("submit", "evaluate", "ledger", "admin"))
    user2 = (crypto / ORG / "members" / "user2" / "cert.pem").read_bytes()
    signer = enroll(users, wallet, crypto, ORG, "carol", certificate_pem=user2)
    pending = enroll(users, wallet, crypto, ORG, "dave", offline=True)
    return admin.token, signer.token, pending.token


@contextmanager
def hostile_network(folder: Path) -> Iterator[HostileNetwork]:
    network_file = _definition(folder)
    local = LocalNetwork(folder / "data")
    network = local.prepare(network_file)
    attackers = mint_attackers(local.crypto_dir)
    _write_genesis_revoking(local, [serial_hex(pair) for pair in attackers.revoked.pairs.values()])
    tokens = _enroll_rest_users(local)
    _set_limits(local, TEST_LIMITS)
    try:
        for _, role, node in network.all_nodes():
            local.start_node(node.name, role)
        local.start_rest(network, ORG)
        local.wait_healthy(network, timeout=60)
        local.wait_rest_healthy(network, timeout=60)
        clients = NetworkClients(network, local.crypto_dir)
        asyncio.run(deploy(clients, "kv", REPO / "gridledger" / "chaincode" / "kv", "1.0", "ANY"))
        url = json.loads((local.rest_dir(ORG) / "endpoint.json").read_text())["url"]
        yield HostileNetwork(local, clients, attackers, url, *tokens, load_identity(local.crypto_dir, ORG, "user2"))
    finally:
        local.down()
