#!/usr/bin/env python3
"""How long one market slot of N revealed orders takes to clear and allocate, end to end (issue 20: 10,000 orders
in <= 2 s). Not a test: it starts a fresh network, fills slots with real sealed orders and reveals, and times the
one `clear` transaction of each slot.

    python scripts/market_clear.py --network deploy/networks/default.yaml --orders 10000 --slots 3 --out /tmp/clear

The market (time clock, key-per-tx data model, the chosen sealing) is created by Org1's admin, who is the utility
and so may advance it. N/2 prosumer identities are issued and registered; each posts one buy and one sell order per
slot, then reveals both. The clock's boundaries all lie in the past, so `close_bids`, `close_reveals` and `clear`
may run as soon as the orders are in; a slot's phase, not the clock, keeps the steps in order. What is timed per
slot: the clear's endorsement (every endorsing organisation runs the clearing over the whole book), and from its
submission to its commit on the gateway peer (ordering, then every peer validates the transaction's reads of the
whole book and commits the result and the allocations). Writes OUT/market-clear.json and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from gridledger.common import msp, txbuilder
from gridledger.common.market.orders import Order
from gridledger.common.market.sealing import commit, seal_own_key
from gridledger.common.material import load_member
from gridledger.lab.bench.config import derive, write_network
from gridledger.lab.bench.nodes import LocalNodes
from gridledger.lab.bench.workloads.base import CHAINCODE_ROOT, SETUP_RETRY
from gridledger.lab.population import PROSUMER, IdentityIssuer
from gridledger.ops.deploy import NetworkClients, deploy, peers_of
from gridledger.ops.netconfig import load_network
from gridledger.sdk import Contract, Gateway

SEALERS = {"commit-reveal": commit, "own-key": seal_own_key}
REGISTER_CHUNK = 500
SECOND_NS = 1_000_000_000


def market_config(market_id: str, sealing: str, slots: int) -> dict:
    """A time-clock market whose every boundary, up to the last slot's reveal end, is already past."""
    now = time.time_ns()
    return {"market_id": market_id, "sealing": sealing, "data_model": "key-per-tx", "lo": 3400, "hi": 10840,
            "clock": {"mode": "time", "start": now - (slots + 2) * SECOND_NS, "slot_length": SECOND_NS,
                      "reveal_offset": SECOND_NS // 2}}


def order_book(households: list[str], market_id: str, slot: int, sealing: str) -> list[tuple[int, str, bytes, bytes]]:
    """(household index, side, sealed order, secret) for a buy and a sell of every household; prices and
    quantities spread over the market's range so that the slot clears with many partial matches."""
    book = []
    for index, household in enumerate(households):
        for side in ("buy", "sell"):
            price = 3400 + (index * 7919 + (side == "sell") * 3571 + slot * 131) % 7440
            quantity = 100 + (index * 31 + slot) % 900
            sealed, secret = SEALERS[sealing](Order(household, side, quantity, price).to_bytes(market_id, slot))
            book.append((index, side, sealed, secret))
    return book


async def in_parallel(calls, concurrency: int, progress: Progress, label: str) -> None:
    """Run the coroutine factories `calls`, at most `concurrency` at once, with a progress bar."""
    task = progress.add_task(label, total=len(calls))
    gate = asyncio.Semaphore(concurrency)

    async def one(call) -> None:
        async with gate:
            await call()
        progress.advance(task)

    await asyncio.gather(*(one(call) for call in calls))


async def timed_clear(contract: Contract, market_id: str, slot: int) -> dict:
    """Endorse, sign and submit the slot's clear as separate steps, timing each."""
    client = contract.network.client
    started = time.perf_counter()
    prepared = client.proposal(contract.name, "clear", [market_id.encode(), str(slot).encode()])
    endorsed = await contract.network.endorse_signed(prepared.signed, timeout=120)
    endorsed_at = time.perf_counter()
    envelope = txbuilder.sign_payload(client.identity, endorsed.prepared_payload)
    status = await contract.network.submit_signed(envelope, prepared.tx_id, timeout=120)
    committed_at = time.perf_counter()
    result = json.loads(endorsed.result.payload)
    return {"slot": slot, "block": status.block, "endorse_ms": (endorsed_at - started) * 1e3,
            "submit_to_commit_ms": (committed_at - endorsed_at) * 1e3, "total_ms": (committed_at - started) * 1e3,
            "transaction_bytes": len(envelope.SerializeToString()), "result": result}


async def run(args: argparse.Namespace, console: Console) -> list[dict]:
    network = derive(load_network(args.network), free_ports=True)
    args.out.mkdir(parents=True, exist_ok=True)
    network_file = write_network(network, args.out / "network.yaml")
    nodes = LocalNodes(args.out / "data")
    console.print(f"starting {network.name} under {args.out / 'data'}")
    nodes.up(network_file)
    try:
        clients = NetworkClients(network, nodes.crypto_dir)
        await deploy(clients, "market", CHAINCODE_ROOT / "market", "1.0", network.policies.endorsement,
                     progress=console.print)
        peer = peers_of(network)[0]
        admin = load_member(nodes.crypto_dir, peer.msp_id, "admin", network.msp_ids)
        issuer = IdentityIssuer(nodes.crypto_dir, peer.msp_id)
        households = [f"h{i:05d}" for i in range(args.orders // 2)]
        with Progress(console=console) as progress:
            issuing = progress.add_task("issuing prosumer identities", total=len(households))
            identities = []
            for household in households:
                identities.append(issuer.issue(f"clear-{household}"))
                progress.advance(issuing)
        async with await Gateway.connect(peer.address, admin.identity, admin.tls, timeout=120) as gateway:
            market = gateway.network(network.channel).contract("market")
            market_id = "clear-bench"
            await market.submit("create_market", json.dumps(market_config(market_id, args.sealing, args.slots)),
                                retry=SETUP_RETRY)
            members = [{"fingerprint": msp.fingerprint(identity.certificate), "role": PROSUMER, "household": household}
                       for household, identity in zip(households, identities, strict=True)]
            for start in range(0, len(members), REGISTER_CHUNK):
                await market.submit("register", market_id, json.dumps(members[start:start + REGISTER_CHUNK]),
                                    retry=SETUP_RETRY)
            as_member = [gateway.with_identity(identity).network(network.channel).contract("market")
                         for identity in identities]
            timings = []
            for slot in range(args.slots):
                book = order_book(households, market_id, slot, args.sealing)
                with Progress(console=console) as progress:
                    await in_parallel([_call(as_member[i], "submit_order", market_id, slot, side, sealed.hex())
                                       for i, side, sealed, _ in book], args.concurrency, progress,
                                      f"slot {slot}: {len(book):,} sealed orders")
                    await market.submit("close_bids", market_id, slot, retry=SETUP_RETRY)
                    await in_parallel([_call(as_member[i], "reveal", market_id, slot, side, secret.hex())
                                       for i, side, _, secret in book], args.concurrency, progress,
                                      f"slot {slot}: {len(book):,} reveals")
                    await market.submit("close_reveals", market_id, slot, retry=SETUP_RETRY)
                timing = await timed_clear(market, market_id, slot)
                timing["orders"] = len(book)
                console.print(f"slot {slot}: cleared {len(book):,} orders in {timing['total_ms']:,.0f} ms")
                timings.append(timing)
            return timings
    finally:
        nodes.down()


def _call(contract: Contract, function: str, *args):
    return lambda: contract.submit(function, *args, retry=SETUP_RETRY)


def show(timings: list[dict], console: Console) -> None:
    table = Table(title="one clear transaction per slot, end to end")
    for column in ("slot", "orders", "endorse ms", "submit to commit ms", "total ms", "tx bytes", "matched Wh",
                   "price"):
        table.add_column(column, justify="right")
    for t in timings:
        table.add_row(str(t["slot"]), f"{t['orders']:,}", f"{t['endorse_ms']:,.0f}",
                      f"{t['submit_to_commit_ms']:,.0f}", f"{t['total_ms']:,.0f}", f"{t['transaction_bytes']:,}",
                      f"{t['result'].get('volume_wh', 0):,}", str(t["result"].get("price")))
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", type=Path, required=True)
    parser.add_argument("--orders", type=int, default=10_000, help="orders per slot (half buys, half sells)")
    parser.add_argument("--slots", type=int, default=3, help="slots, each cleared and timed once")
    parser.add_argument("--sealing", choices=sorted(SEALERS), default="commit-reveal")
    parser.add_argument("--concurrency", type=int, default=400, help="orders and reveals in flight")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.orders < 2 or args.slots < 1 or args.concurrency < 1:
        parser.error("--orders must be at least 2, --slots and --concurrency at least 1")
    console = Console()
    timings = asyncio.run(run(args, console))
    (args.out / "market-clear.json").write_text(json.dumps(
        {"command": vars(args) | {"network": str(args.network), "out": str(args.out)}, "slots": timings},
        indent=2))
    show(timings, console)


if __name__ == "__main__":
    main()
