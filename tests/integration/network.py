"""A real local network for integration tests: separate peer and orderer processes on 127.0.0.1 with free ports."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from gridledger.ops.deploy import NetworkClients, PeerRef, deploy, peers_of
from gridledger.ops.localnet import LocalNetwork
from gridledger.sdk import GatewayClient

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TWO_ORGS = "AND('Org1MSP.peer', 'Org2MSP.peer')"


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def write_network(folder: Path, orgs: int, peers_per_org: int, batch_timeout_ms: int = 300,
                  orderers: int = 1) -> Path:
    """A network definition on free ports: solo with one orderer, Raft (fast test timings) with 3 or 5, BFT with
    4 (one orderer organisation each, as deploy/networks/bft.yaml)."""
    ports = iter(free_ports(2 * orderers + 2 * orgs * peers_per_org))
    nodes = [{"name": f"orderer{i}", "port": next(ports), "operations_port": next(ports)} for i in range(orderers)]
    if orderers == 4:
        consensus = {"type": "bft", "bft": {"request_timeout_ms": 300, "view_change_timeout_ms": 600}}
        orderer_orgs = {"orderer_orgs": [{"msp_id": f"Orderer{i}MSP", "orderers": [node]}
                                         for i, node in enumerate(nodes)]}
    else:
        consensus = {"type": "solo"} if orderers == 1 else {
            "type": "raft", "raft": {"tick_interval_ms": 50, "election_tick": 10, "heartbeat_tick": 1,
                                     "snapshot_interval_blocks": 20}}
        orderer_orgs = {"orderer_org": {"msp_id": "OrdererMSP", "orderers": nodes}}
    definition = {
        "name": "itest",
        "channel": "energy",
        **orderer_orgs,
        "peer_orgs": [{"msp_id": f"Org{o}MSP", "clients": ["user1"],
                       "peers": [{"name": f"peer{p}-org{o}", "port": next(ports), "operations_port": next(ports)}
                                 for p in range(peers_per_org)]} for o in range(1, orgs + 1)],
        "consensus": consensus,
        "batch": {"max_message_count": 100, "batch_timeout_ms": batch_timeout_ms},
        "policies": {"endorsement": TWO_ORGS if orgs > 1 else "ANY"},
    }
    path = folder / "network.yaml"
    path.write_text(yaml.safe_dump(definition))
    return path


class ItNetwork:
    def __init__(self, folder: Path, orgs: int, peers_per_org: int, orderers: int = 1) -> None:
        self.network_file = write_network(folder, orgs, peers_per_org, orderers=orderers)
        self.local = LocalNetwork(folder / "data")

    def up(self) -> None:
        self.local.up(self.network_file, timeout=60)
        self.clients = NetworkClients(self.local.definition(), self.local.crypto_dir)

    def deploy(self, name: str, path: Path, policy: str) -> None:
        asyncio.run(deploy(self.clients, name, path, "1.0", policy))

    @property
    def peers(self) -> list[PeerRef]:
        return peers_of(self.clients.network)

    def user(self, msp_id: str = "Org1MSP", peer: PeerRef | None = None) -> GatewayClient:
        return self.clients.connect(peer or self.clients.first_peer(msp_id), "user1")


@contextmanager
def running_network(folder: Path, orgs: int = 2, peers_per_org: int = 2, orderers: int = 1) -> Iterator[ItNetwork]:
    net = ItNetwork(folder, orgs, peers_per_org, orderers)
    try:
        net.up()
        yield net
    finally:
        net.local.down()
