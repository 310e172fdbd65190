"""The running network the gRPC and REST fuzzers aim at: one peer organisation with one peer, a solo orderer (or
three raft orderers), optionally the org's REST service, each its own process on 127.0.0.1, the kv chaincode (and
any other shipped one asked for) deployed, and one committed put, whose tx id seeds CommitStatus."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from gridledger.cli.app import app as cli
from gridledger.common.material import load_member
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.localnet import LocalNetwork
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.sdk import Gateway
from tests.fuzz.world import World
from tests.integration.network import REPO, write_network


@dataclass(frozen=True)
class FuzzNetwork:
    local: LocalNetwork
    network_file: Path
    definition: NetworkDefinition
    committed_tx_id: str

    @property
    def crypto(self) -> Path:
        return self.local.crypto_dir

    def world(self) -> World:
        return World.load(self.crypto, self.network_file)

    @property
    def peer_address(self) -> str:
        return f"127.0.0.1:{self.definition.peer_orgs[0].peers[0].port}"

    @property
    def orderer_address(self) -> str:
        return f"127.0.0.1:{self.definition.orderer_nodes()[0][1].port}"

    def healthy(self) -> bool:
        return all(status.running and status.healthy for status in self.local.status(self.definition))

    def rest_url(self) -> str:
        [org1] = [rest for rest in self.local.rest_status(self.definition) if rest.msp_id == "Org1MSP"]
        return org1.url


async def _submit(crypto: Path, definition: NetworkDefinition, address: str, user: str, chaincode: str,
                  *args: str) -> str:
    """One transaction of Org1's `user`, submitted over the SDK and committed; its tx id."""
    member = load_member(crypto, "Org1MSP", user, definition.msp_ids)
    gateway = await Gateway.connect(address, member.identity, member.tls)
    try:
        result = await gateway.network(definition.channel).contract(chaincode).submit(*args)
    finally:
        await gateway.close()
    return result.tx_id


@contextmanager
def fuzz_network(folder: Path, rest: bool = False, orderers: int = 1,
                 chaincodes: tuple[str, ...] = ("kv",)) -> Iterator[FuzzNetwork]:
    """The network, up until the block ends; `chaincodes` (shipped ones, kv first: the commit seed needs it) are
    deployed under ANY, so the long REST run can also reach the market and DSM contracts."""
    folder.mkdir(parents=True, exist_ok=True)
    network_file = write_network(folder, orgs=1, peers_per_org=1, batch_timeout_ms=50, orderers=orderers)
    local = LocalNetwork(folder / "data")
    try:
        local.up(network_file, timeout=60, rest=rest)
        definition = local.definition()
        clients = NetworkClients(definition, local.crypto_dir)
        for name in chaincodes:
            asyncio.run(deploy(clients, name, REPO / "gridledger" / "chaincode" / name, "1.0", "ANY"))
        address = f"127.0.0.1:{definition.peer_orgs[0].peers[0].port}"
        committed = asyncio.run(_submit(local.crypto_dir, definition, address, "user1", "kv", "put", "key", "value"))
        yield FuzzNetwork(local, network_file, definition, committed)
    finally:
        local.down()


def create_known_neighbourhood(net: FuzzNetwork, neighbourhood: str) -> None:
    """A DSM neighbourhood, created by Org1's admin over the SDK (the dsm contract takes only an org admin as its
    operator, and the REST service has no route that creates one)."""
    asyncio.run(_submit(net.crypto, net.definition, net.peer_address, "admin", "dsm", "create_neighbourhood",
                        json.dumps({"neighbourhood_id": neighbourhood})))


def enroll_admin_token(net: FuzzNetwork, user: str = "fuzzer") -> str:
    """A custodial REST user with every scope, enrolled through the real CLI; its API token."""
    result = CliRunner().invoke(cli, ["rest", "enroll", user, "--org", "Org1MSP", "--admin", "--data-dir",
                                      str(net.local.data_dir)])
    if result.exit_code != 0:
        raise RuntimeError(f"rest enroll failed: {result.output}")
    return result.stdout.strip().splitlines()[-1]
