"""Measures BFT leader failover on a real network (4 orderers, one peer): SIGKILL the leader of the current view
while transactions stream in, and time from the kill to the next block the peer commits.

    .venv/bin/python -m tests.orderer.bft.failover --runs 10

The network uses bft.yaml's timeouts (request 500 ms, view change 1 s, rotation every block). After each kill the
orderer is restarted and must be healthy again before the next round. Not a test: timing depends on the machine,
so it prints numbers instead of asserting them (benchmarks measure; tests never assert timings).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from tests.integration.network import REPO, ItNetwork


def _metric(port: int, name: str) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    found = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def _with_shipped_timeouts(net: ItNetwork) -> None:
    definition = yaml.safe_load(net.network_file.read_text())
    shipped = yaml.safe_load((REPO / "deploy" / "networks" / "bft.yaml").read_text())
    definition["consensus"] = shipped["consensus"]
    definition["batch"]["batch_timeout_ms"] = shipped["batch"]["batch_timeout_ms"]
    net.network_file.write_text(yaml.safe_dump(definition))


async def _load(net: ItNetwork, stop: asyncio.Event) -> None:
    async with net.user("Org1MSP") as client:
        i = 0
        while not stop.is_set():
            tasks = [client.submit("kv", "put", f"fo-{i + k}", "1", timeout=20) for k in range(5)]
            await asyncio.gather(*tasks, return_exceptions=True)
            i += 5


async def measure(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bft-failover-") as folder:
        net = ItNetwork(Path(folder), orgs=1, peers_per_org=1, orderers=4)
        _with_shipped_timeouts(net)
        net.up()
        try:
            await asyncio.to_thread(net.deploy, "kv", REPO / "gridledger" / "chaincode" / "kv", "ANY")
            orderers = [node for _, node in net.clients.network.orderer_nodes()]
            peer_port = next(node.operations_port for _, role, node in net.clients.network.all_nodes()
                             if role == "peer")
            stop = asyncio.Event()
            load = asyncio.create_task(_load(net, stop))
            times = []
            for run in range(runs):
                await asyncio.sleep(2.0)
                leader = next((n for n in orderers if _metric(n.operations_port, "gridledger_bft_is_leader") == 1),
                              None)
                if leader is None:
                    continue
                height = _metric(peer_port, "gridledger_peer_height")
                killed = time.monotonic()
                net.local.stop_node(leader.name, sig=signal.SIGKILL)
                while _metric(peer_port, "gridledger_peer_height") == height:
                    await asyncio.sleep(0.01)
                times.append(time.monotonic() - killed)
                print(f"run {run + 1}: killed {leader.name}, next block after {times[-1]:.3f} s", flush=True)
                net.local.start_node(leader.name, "orderer")
                await asyncio.to_thread(net.local.wait_healthy, net.clients.network, 60)
            stop.set()
            await load
            return times
        finally:
            net.local.down()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    times = asyncio.run(measure(parser.parse_args().runs))
    if times:
        print(f"{len(times)} leader kills: median {statistics.median(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
