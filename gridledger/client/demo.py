"""`gridledger demo`: the main job in one command. Starts default.yaml (3 Raft orderers, 2 orgs x 2 peers) as
local processes, deploys the kv chaincode, runs a few transactions and a short burst of concurrent writes, verifies
the ledger, prints a summary, and stops the network.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer
from rich.table import Table

from gridledger.client.cli_network import status_table
from gridledger.client.cli_setup import console
from gridledger.client.deploy import NetworkClients, deploy
from gridledger.client.gateway import GatewayClient
from gridledger.client.localnet import LocalNetwork
from gridledger.client.verify import verify_network
from gridledger.v1 import block_pb2

KV_PATH = Path(__file__).resolve().parent.parent / "chaincode" / "kv"


async def _burst(client: GatewayClient, count: int, concurrency: int) -> tuple[int, dict[str, int], float]:
    codes: dict[str, int] = {}
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with semaphore:
            result = await client.submit_streamed("kv", "put", f"meter-{i:05d}", f"{i * 7} Wh")
            name = block_pb2.ValidationCode.Name(result.code)
            codes[name] = codes.get(name, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(count)))
    return count, codes, time.perf_counter() - started


async def _scenario(clients: NetworkClients, burst: int) -> Table:
    await deploy(clients, "kv", KV_PATH, "1.0", clients.network.policies.endorsement, progress=console.print)
    org = clients.network.peer_orgs[0]
    table = Table("step", "result", title="gridledger demo")
    async with clients.connect(clients.first_peer(org.msp_id), org.clients[0]) as client:
        first = await client.submit("kv", "put", "alice", "100")
        await client.submit("kv", "put", "bob", "20")
        table.add_row("put alice=100, bob=20", f"VALID in block {first.block}")
        moved = await client.submit("kv", "transfer", "alice", "bob", "30")
        table.add_row("transfer 30 alice -> bob", f"VALID in block {moved.block}")
        balances = [(await client.evaluate("kv", "get", key)).decode() for key in ("alice", "bob")]
        table.add_row("query alice, bob", ", ".join(balances))
        count, codes, seconds = await _burst(client, burst, concurrency=50)
        table.add_row(f"{count} concurrent puts (50 in flight, batched gateway stream)",
                      f"{codes} in {seconds:.2f}s = {count / seconds:.0f} tx/s end to end")
    report = await verify_network(clients)
    table.add_row("ledger verify", "ok" if report.ok else "; ".join(report.problems))
    table.add_row("height / state hash", ", ".join(f"{n}: {h} / {report.state_hashes[n][:12]}"
                                                   for n, h in report.heights.items()))
    return table


def demo(network: Path = typer.Option(Path("deploy/networks/default.yaml"), "--network"),
         data_dir: Path = typer.Option(Path(".gridledger/demo"), "--data-dir"),
         burst: int = typer.Option(200, "--burst", help="how many concurrent writes to time"),
         keep: bool = typer.Option(False, "--keep", help="leave the network running afterwards")) -> None:
    """Run the demo end to end."""
    local = LocalNetwork(data_dir)
    local.down(purge=True)
    with console.status("starting the network (crypto, genesis, processes)..."):
        statuses = local.up(network)
    console.print(status_table(statuses))
    try:
        table = asyncio.run(_scenario(NetworkClients(local.definition(), local.crypto_dir), burst))
        console.print(table)
    finally:
        if not keep:
            local.down()
            console.print(f"network stopped (data kept in {data_dir})")
