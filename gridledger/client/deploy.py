"""Chaincode deployment across a running network, step by step as in Fabric's lifecycle: package, install on
every peer, approve for every org, commit, and wait until every peer runs it. Each step says exactly why it failed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gridledger.chaincode.package import package_chaincode
from gridledger.client.gateway import ChaincodeError, GatewayClient
from gridledger.common.cryptogen import ADMIN, load_member
from gridledger.common.netconfig import NetworkDefinition
from gridledger.v1 import peer_pb2

LIFECYCLE = "_lifecycle"


class DeployError(Exception):
    pass


@dataclass(frozen=True)
class PeerRef:
    name: str
    msp_id: str
    address: str


def peers_of(network: NetworkDefinition) -> list[PeerRef]:
    return [PeerRef(n.name, org.msp_id, f"127.0.0.1:{n.port}") for org in network.peer_orgs for n in org.peers]


class NetworkClients:
    """Opens gateway clients to peers as a given member of the peer's org (admin by default)."""

    def __init__(self, network: NetworkDefinition, crypto_dir: Path) -> None:
        self.network = network
        self.crypto_dir = crypto_dir
        self._trusted = [network.orderer_org.msp_id, *network.peer_msp_ids]

    def connect(self, peer: PeerRef, member: str = ADMIN) -> GatewayClient:
        material = load_member(self.crypto_dir, peer.msp_id, member, self._trusted)
        return GatewayClient(peer.address, material.identity, material.tls, self.network.channel)

    def first_peer(self, msp_id: str | None = None) -> PeerRef:
        for peer in peers_of(self.network):
            if msp_id is None or peer.msp_id == msp_id:
                return peer
        raise DeployError(f"the network has no peer of {msp_id}")


async def current_sequence(client: GatewayClient, name: str) -> int:
    try:
        found = await client.evaluate(LIFECYCLE, "definition", name)
    except ChaincodeError as exc:
        if exc.status == 404:
            return 0
        raise
    return int(json.loads(found)["sequence"])


async def deploy(clients: NetworkClients, name: str, path: Path, version: str, policy: str,
                 progress: Callable[[str], None] = lambda _: None) -> dict:
    """Run every lifecycle step; return the committed definition."""
    package = package_chaincode(path, name)
    peers = peers_of(clients.network)
    package_ids = set()
    for peer in peers:
        async with clients.connect(peer) as client:
            reply = await client.admin(peer_pb2.AdminRequest(
                install_chaincode=peer_pb2.InstallChaincodeRequest(package=package)))
            package_ids.add(reply.installed.package_id)
            progress(f"installed {reply.installed.package_id} on {peer.name}")
    if len(package_ids) != 1:
        raise DeployError(f"peers computed different package ids: {sorted(package_ids)}")
    package_hash = package_ids.pop().split(":", 1)[1]
    async with clients.connect(clients.first_peer()) as client:
        sequence = await current_sequence(client, name) + 1
    definition = {"name": name, "version": version, "sequence": sequence, "package_hash": package_hash,
                  "endorsement_policy": policy}
    encoded = json.dumps(definition, sort_keys=True)
    for msp_id in clients.network.peer_msp_ids:
        async with clients.connect(clients.first_peer(msp_id)) as client:
            await client.submit(LIFECYCLE, "approve", encoded)
            progress(f"approved by {msp_id}")
    async with clients.connect(clients.first_peer()) as client:
        readiness = json.loads(await client.evaluate(LIFECYCLE, "readiness", encoded))
        if not readiness["ready"]:
            missing = [org for org, ok in readiness["approvals"].items() if not ok]
            raise DeployError(f"not ready to commit: missing approvals from {', '.join(missing)} "
                              f"(policy {readiness['policy']})")
        await client.submit(LIFECYCLE, "commit", encoded)
        progress(f"committed {name} sequence {sequence}")
    await asyncio.gather(*(wait_until_defined(clients, peer, name, sequence) for peer in peers))
    progress(f"{name} is ready on {len(peers)} peer(s)")
    return definition


async def wait_until_defined(clients: NetworkClients, peer: PeerRef, name: str, sequence: int,
                             timeout: float = 30) -> None:
    async with clients.connect(peer) as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while await current_sequence(client, name) < sequence:
            if asyncio.get_running_loop().time() > deadline:
                raise DeployError(f"{peer.name} has not committed {name} sequence {sequence} after {timeout}s")
            await asyncio.sleep(0.1)
