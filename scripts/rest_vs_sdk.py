#!/usr/bin/env python3
"""Submit throughput through the REST service against the SDK's, at equal concurrency, side by side in one run
(issue 20: REST >= 80% of the streamed SDK's). Not a test: it starts a fresh network with its REST services.

    python scripts/rest_vs_sdk.py --network deploy/networks/dev.yaml --concurrency 64 --seconds 20 --pairs 2 \
        --out /tmp/rest-vs-sdk

Both sides commit kv `put`s of fresh keys through the same peer of the first organisation and wait for each
commit: the SDK side with C submits in flight on one gateway connection (so they ride the batched stream), the
REST side with C HTTP/1.1 keep-alive connections (a minimal client, KeepAlive) to POST /v1/chaincodes/kv/submit
as an enrolled custodial user (the service signs with the user's key and uses the same SDK). The sides alternate,
SDK first, `--pairs` times, on one network; each pair's ratio is REST/SDK of committed transactions per second.
Writes OUT/rest-vs-sdk.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gridledger.common import eventloop
from gridledger.common.material import load_member
from gridledger.lab.bench.config import derive, write_network
from gridledger.lab.bench.workloads.base import CHAINCODE_ROOT
from gridledger.ops.deploy import NetworkClients, deploy, peers_of
from gridledger.ops.localnet import LocalNetwork
from gridledger.ops.netconfig import load_network
from gridledger.sdk import Gateway
from gridledger.sdk.wallet import FileWallet
from gridledger.services.rest.config import read_passphrase, rest_dir
from gridledger.services.rest.enrol import enroll
from gridledger.services.rest.users import UserStore

VALUE = "x" * 100


async def closed_loop(submit: Callable[[int, str], Awaitable[None]], concurrency: int, seconds: float,
                      prefix: str) -> dict:
    """`concurrency` loops, each submitting its next key as soon as the last one committed, for `seconds`;
    `submit(loop index, key)`."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(index: int) -> None:
        sequence = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await submit(index, f"{prefix}/{index}/{sequence}")
            latencies.append(time.perf_counter() - started)
            sequence += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {"committed": len(latencies), "seconds": elapsed, "tps": len(latencies) / elapsed,
            "p50_ms": statistics.median(latencies) * 1e3}


class KeepAlive:
    """One HTTP/1.1 keep-alive connection that POSTs JSON and reads the answer, as a load generator (wrk, hey)
    would: the least client work per request, so the figure is the service's. httpx cost this process more CPU per
    request than the REST service spent (profiled with py-spy at 128 connections: 72% of the process in httpx and
    httpcore, and with one shared pool O(C) connection matching per request), which on two cores capped the
    service at 0.11 of the SDK's rate."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.headers = (f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                        "Content-Type: application/json\r\n").encode()

        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """(status, body) of one POST; the service always answers with a Content-Length. A connection the service
        closed while it was idle (its keep-alive timeout, during the SDK side's run) is opened again."""
        if self.writer is None or self.reader.at_eof():
            await self.close()
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(b"POST %s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n%s"
                          % (path.encode(), self.headers, len(body), body))
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        return status, await self.reader.readexactly(length)


def rest_user(local: LocalNetwork, msp_id: str) -> str:
    """Enrol a custodial REST user with the submit scope; its API token."""
    state = rest_dir(local.data_dir, msp_id)
    users = UserStore(state)
    wallet = FileWallet(state / "wallet", read_passphrase(state))
    return enroll(users, wallet, local.crypto_dir, msp_id, f"bench{os.getpid()}", scopes=("submit",)).token


async def compare(args: argparse.Namespace, console: Console) -> list[dict]:
    network = derive(load_network(args.network), free_ports=True)
    args.out.mkdir(parents=True, exist_ok=True)
    network_file = write_network(network, args.out / "network.yaml")
    local = LocalNetwork(args.out / "data")
    local.down(purge=True)
    console.print(f"starting {network.name} and its REST services under {local.data_dir}")
    local.up(network_file, timeout=120)
    try:
        await deploy(NetworkClients(network, local.crypto_dir), "kv", CHAINCODE_ROOT / "kv", "1.0",
                     network.policies.endorsement, progress=console.print)
        peer = peers_of(network)[0]
        url = next(s.url for s in local.rest_status(network) if s.msp_id == peer.msp_id)
        token = rest_user(local, peer.msp_id)
        client_name = next(o for o in network.peer_orgs if o.msp_id == peer.msp_id).clients[0]
        member = load_member(local.crypto_dir, peer.msp_id, client_name, network.msp_ids)
        async with await Gateway.connect(peer.address, member.identity, member.tls, timeout=120) as gateway, \
                contextlib.AsyncExitStack() as stack:
            kv = gateway.network(network.channel).contract("kv")
            host, port = url.removeprefix("http://").rsplit(":", 1)
            connections = [KeepAlive(host, int(port), token) for _ in range(args.concurrency)]
            for connection in connections:
                stack.push_async_callback(connection.close)

            async def by_sdk(index: int, key: str) -> None:
                await kv.submit("put", key, VALUE)

            async def by_rest(index: int, key: str) -> None:
                status, body = await connections[index].post(
                    "/v1/chaincodes/kv/submit", json.dumps({"function": "put", "args": [key, VALUE]}).encode())
                if status != 200:
                    raise RuntimeError(f"REST submit answered {status}: {body[:300]!r}")

            await closed_loop(by_sdk, args.concurrency, 3, "warm-sdk")
            await closed_loop(by_rest, args.concurrency, 3, "warm-rest")
            pairs = []
            for pair in range(args.pairs):
                sides = {}
                for side, submit in (("sdk", by_sdk), ("rest", by_rest)):
                    sides[side] = await closed_loop(submit, args.concurrency, args.seconds, f"{side}-{pair}")
                    console.print(f"pair {pair + 1} {side}: {sides[side]['tps']:,.1f} tx/s, "
                                  f"p50 {sides[side]['p50_ms']:,.0f} ms")
                pairs.append(sides | {"ratio": sides["rest"]["tps"] / sides["sdk"]["tps"]})
            return pairs
    finally:
        local.down()


def show(pairs: list[dict], concurrency: int, console: Console) -> None:
    table = Table(title=f"committed kv puts per second, {concurrency} in flight on each side")
    for column in ("pair", "SDK tx/s", "SDK p50 ms", "REST tx/s", "REST p50 ms", "REST / SDK"):
        table.add_column(column, justify="right")
    for index, pair in enumerate(pairs, 1):
        table.add_row(str(index), f"{pair['sdk']['tps']:,.1f}", f"{pair['sdk']['p50_ms']:,.0f}",
                      f"{pair['rest']['tps']:,.1f}", f"{pair['rest']['p50_ms']:,.0f}", f"{pair['ratio']:.2f}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", type=Path, required=True)
    parser.add_argument("--concurrency", type=int, default=64, help="submits in flight on each side")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each side's run")
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.concurrency < 1 or args.seconds <= 0 or args.pairs < 1:
        parser.error("--concurrency and --pairs must be at least 1, --seconds positive")
    console = Console()
    pairs = eventloop.run(compare(args, console))
    (args.out / "rest-vs-sdk.json").write_text(json.dumps(
        {"command": vars(args) | {"network": str(args.network), "out": str(args.out)}, "pairs": pairs}, indent=2))
    show(pairs, args.concurrency, console)


if __name__ == "__main__":
    main()
