"""A small real network for the SDK and REST tests: 2 peer orgs with 1 peer each, a solo orderer, kv and the
notifier fixture deployed under AND(Org1.peer, Org2.peer)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from gridledger.common.material import MemberMaterial, load_member
from gridledger.ops import cryptogen
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.localnet import LocalNetwork
from gridledger.ops.netconfig import load_network
from gridledger.sdk import Gateway, RetryPolicy
from tests.integration.network import REPO, TWO_ORGS, write_network

NOTIFIER = Path(__file__).resolve().parent / "fixtures" / "notifier"


@dataclass
class SmallNetwork:
    local: LocalNetwork
    clients: NetworkClients

    @property
    def channel(self) -> str:
        return self.clients.network.channel

    def member(self, msp_id: str = "Org1MSP", name: str = "user1") -> MemberMaterial:
        network = self.clients.network
        return load_member(self.local.crypto_dir, msp_id, name, network.msp_ids)

    def peer_address(self, msp_id: str = "Org1MSP") -> str:
        return self.clients.first_peer(msp_id).address

    async def gateway(self, msp_id: str = "Org1MSP", name: str = "user1", **options) -> Gateway:
        material = self.member(msp_id, name)
        options.setdefault("retry", RetryPolicy(max_attempts=3, max_backoff=0.5))
        return await Gateway.connect(self.peer_address(msp_id), material.identity, material.tls, **options)


def data_folder(folder: Path, orgs: int = 2, peers_per_org: int = 1) -> Path:
    """A data folder as `network up` leaves it (network marker and crypto material) without starting anything:
    enough for what reads the folder before it connects (sdk/local.py, the CLI's checks)."""
    network_file = write_network(folder, orgs=orgs, peers_per_org=peers_per_org)
    data = folder / "data"
    cryptogen.generate(load_network(network_file), data / "crypto")
    (data / "network.json").write_text(json.dumps({"network_file": str(network_file)}))
    return data


@contextmanager
def small_network(folder: Path, rest: bool) -> Iterator[SmallNetwork]:
    network_file = write_network(folder, orgs=2, peers_per_org=1)
    local = LocalNetwork(folder / "data")
    try:
        local.up(network_file, timeout=60, rest=rest)
        clients = NetworkClients(local.definition(), local.crypto_dir)
        for name, path in (("kv", REPO / "gridledger" / "chaincode" / "kv"), ("notifier", NOTIFIER)):
            asyncio.run(deploy(clients, name, path, "1.0", TWO_ORGS))
        yield SmallNetwork(local, clients)
    finally:
        local.down()
