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
from gridledger.common.material import ADMIN, load_member
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.sdk import ChaincodeError, GatewayClient
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
        self._trusted = network.msp_ids

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


async def install(clients: NetworkClients, package: bytes, peers: list[PeerRef],
                  progress: Callable[[str], None] = lambda _: None) -> str:
    """Install a package on `peers` (each with its org's admin); return the package id they agree on."""
    package_ids = set()
    for peer in peers:
        async with clients.connect(peer) as client:
            reply = await client.admin(peer_pb2.AdminRequest(
                install_chaincode=peer_pb2.InstallChaincodeRequest(package=package)))
            package_ids.add(reply.installed.package_id)
            progress(f"installed {reply.installed.package_id} on {peer.name}")
    if len(package_ids) != 1:
        raise DeployError(f"peers computed different package ids: {sorted(package_ids)}")
    return package_ids.pop()


async def next_definition(clients: NetworkClients, name: str, version: str, package_id: str, policy: str) -> dict:
    """The definition for the next sequence of `name` (what every org approves and one then commits)."""
    async with clients.connect(clients.first_peer()) as client:
        sequence = await current_sequence(client, name) + 1
    return {"name": name, "version": version, "sequence": sequence, "package_hash": package_id.split(":", 1)[1],
            "endorsement_policy": policy}


async def approve(clients: NetworkClients, msp_id: str, definition: dict) -> None:
    async with clients.connect(clients.first_peer(msp_id)) as client:
        await client.submit(LIFECYCLE, "approve", json.dumps(definition, sort_keys=True))


async def readiness(clients: NetworkClients, definition: dict) -> dict:
    """Which orgs approved `definition`, and whether that satisfies the lifecycle policy."""
    async with clients.connect(clients.first_peer()) as client:
        return json.loads(await client.evaluate(LIFECYCLE, "readiness", json.dumps(definition, sort_keys=True)))


async def commit(clients: NetworkClients, definition: dict, settle_seconds: float = 3.0) -> None:
    # Each approval waited for its commit on its own org's peer; the first peer, asked here, may still be a
    # block behind, so give it a moment before calling an approval missing.
    deadline = asyncio.get_running_loop().time() + settle_seconds
    ready = await readiness(clients, definition)
    while not ready["ready"] and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.1)
        ready = await readiness(clients, definition)
    if not ready["ready"]:
        missing = [org for org, ok in ready["approvals"].items() if not ok]
        raise DeployError(f"not ready to commit: missing approvals from {', '.join(missing)} "
                          f"(policy {ready['policy']}); run `gridledger chaincode approve` for them")
    async with clients.connect(clients.first_peer()) as client:
        await client.submit(LIFECYCLE, "commit", json.dumps(definition, sort_keys=True))
    await asyncio.gather(*(wait_until_defined(clients, peer, definition["name"], definition["sequence"])
                           for peer in peers_of(clients.network)))


async def deploy(clients: NetworkClients, name: str, path: Path, version: str, policy: str,
                 progress: Callable[[str], None] = lambda _: None) -> dict:
    """Run every lifecycle step; return the committed definition."""
    package_id = await install(clients, package_chaincode(path, name), peers_of(clients.network), progress)
    definition = await next_definition(clients, name, version, package_id, policy)
    for msp_id in clients.network.peer_msp_ids:
        await approve(clients, msp_id, definition)
        progress(f"approved by {msp_id}")
    await commit(clients, definition)
    progress(f"committed {name} sequence {definition['sequence']}; ready on every peer")
    return definition


async def wait_until_defined(clients: NetworkClients, peer: PeerRef, name: str, sequence: int,
                             timeout: float = 30) -> None:
    async with clients.connect(peer) as client:
        deadline = asyncio.get_running_loop().time() + timeout
        while await current_sequence(client, name) < sequence:
            if asyncio.get_running_loop().time() > deadline:
                raise DeployError(f"{peer.name} has not committed {name} sequence {sequence} after {timeout}s")
            await asyncio.sleep(0.1)
