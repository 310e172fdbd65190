"""Measures raft leader failover on real orderer processes: SIGKILL the leader while envelopes stream in, and time
from the kill to the first block committed under the new leader, as a surviving follower's Deliver stream sees it.

    .venv/bin/python -m tests.orderer.raft.failover --runs 10            # raft.yaml's raft and batch settings
    .venv/bin/python -m tests.orderer.raft.failover --runs 10 --test     # the faster settings of the tests

After each kill the old leader is restarted and must catch up before the next round. Not a test: timing depends
on the machine, so it prints numbers instead of asserting them (benchmarks measure; tests never assert timings).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import statistics
import tempfile
import time
from pathlib import Path

import grpc
import yaml

from gridledger.v1 import orderer_pb2_grpc, raft_pb2
from tests.orderer import support
from tests.orderer.raft.cluster import (
    TEST_BATCH,
    TEST_RAFT,
    Load,
    RaftCluster,
    cluster_tls,
    make_crypto,
    verify_cluster,
)

RAFT_YAML = support.REPO / "deploy" / "networks" / "raft.yaml"


async def _one_failover(cluster: RaftCluster, load: Load) -> tuple[float, float, str, str]:
    """Kill the leader; return (seconds to the first block a survivor wrote after the kill, seconds to the first
    block proposed by the new leader, old leader, new leader)."""
    old = await asyncio.to_thread(cluster.wait_leader)
    await load.wait_acked(20)
    watcher = next(name for name in cluster.running() if name != old)
    user = cluster.identity()
    async with grpc.aio.secure_channel(cluster.address(watcher), cluster_tls(cluster)) as channel:
        height = await asyncio.to_thread(cluster.height, watcher)
        stream = orderer_pb2_grpc.AtomicBroadcastStub(channel).Deliver(
            support.seek_request(user, height), timeout=60)
        killed = time.monotonic()
        await asyncio.to_thread(cluster.kill, old, signal.SIGKILL)
        first_after: float | None = None
        async for reply in stream:
            now = time.monotonic() - killed
            first_after = first_after if first_after is not None else now
            metadata = raft_pb2.RaftBlockMetadata.FromString(reply.block.metadata.consenter_metadata)
            if metadata.leader != old:
                stream.cancel()
                return first_after, now, old, metadata.leader
    raise AssertionError("the deliver stream ended before a new leader's block arrived")


async def measure(cluster: RaftCluster, runs: int) -> list[tuple[float, float, str, str]]:
    load = Load(cluster, batch=8)
    load.start()
    results = []
    try:
        for run in range(runs):
            result = await _one_failover(cluster, load)
            results.append(result)
            print(f"run {run + 1}: killed {result[2]}, first block after {result[0]:.3f}s, first block by new "
                  f"leader {result[3]} after {result[1]:.3f}s", flush=True)
            await asyncio.to_thread(cluster.start, result[2])
            target = await asyncio.to_thread(cluster.height, result[3])
            deadline = time.monotonic() + 60
            while await asyncio.to_thread(cluster.height, result[2]) < target:
                assert time.monotonic() < deadline, f"{result[2]} did not catch up to {target}"
                await asyncio.sleep(0.1)
    finally:
        await load.stop()
    await asyncio.to_thread(verify_cluster, cluster, load.acked)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--test", action="store_true", help="use the tests' faster raft timing and batch settings")
    parser.add_argument("--keep", action="store_true", help="keep the orderers' data and logs (printed folder)")
    args = parser.parse_args()
    deploy = yaml.safe_load(RAFT_YAML.read_text())
    raft = TEST_RAFT if args.test else deploy["consensus"]["raft"]
    batch = TEST_BATCH if args.test else deploy["batch"]
    folder = Path(tempfile.mkdtemp(prefix="raft-failover-"))
    cluster = RaftCluster.create(folder / "net", make_crypto(folder / "crypto"), raft=raft, batch=batch)
    print(f"raft {raft}\nbatch {batch}\ndata in {folder}", flush=True)
    try:
        cluster.start()
        results = asyncio.run(measure(cluster, args.runs))
    finally:
        cluster.kill_all()
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    firsts = [r[0] for r in results]
    new = [r[1] for r in results]
    print(f"first block after the kill: median {statistics.median(firsts):.3f}s, max {max(firsts):.3f}s")
    print(f"first block by the new leader: median {statistics.median(new):.3f}s, max {max(new):.3f}s "
          f"(min {min(new):.3f}s, n={len(new)})")


if __name__ == "__main__":
    main()
