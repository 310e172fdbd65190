"""Raft orderers as real processes, with transactions streaming in while orderers are killed and restarted.

After every scenario: all running orderers hold the same chain (block by block, compared by header hash through
Deliver; every block verified), and every envelope that was acknowledged with SUCCESS is in it exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable

import pytest

from gridledger.common import hashing
from tests.orderer.raft.cluster import Load, RaftCluster, chain_of, verify_cluster

pytestmark = pytest.mark.integration
MakeCluster = Callable[..., RaftCluster]


def _events(cluster: RaftCluster, name: str, offset: int) -> list[str]:
    return [e.get("event", "") for e in cluster.processes[name].events(offset)]


def _log_size(cluster: RaftCluster, name: str) -> int:
    return cluster.processes[name].log_path.stat().st_size


def test_leader_killed_a_new_leader_is_elected_and_commits_resume(make_cluster: MakeCluster) -> None:
    cluster = make_cluster()
    cluster.start()
    old_leader = cluster.wait_leader()

    async def run() -> list[str]:
        load = Load(cluster)
        load.start()
        await load.wait_acked(40)
        await asyncio.to_thread(cluster.kill, old_leader, signal.SIGKILL)
        killed_at = len(load.acked)
        await load.wait_acked(60)
        await load.stop()
        assert len(load.acked) >= killed_at + 60
        return load.acked

    acked = asyncio.run(run())
    survivors = cluster.running()
    new_leader = cluster.wait_leader()
    assert new_leader != old_leader and new_leader in survivors
    assert cluster.metrics(new_leader)["gridledger_raft_term"] >= 2
    verify_cluster(cluster, acked, survivors)

    cluster.start(old_leader)  # the old leader rejoins as a follower and catches up
    verify_cluster(cluster, acked)
    assert cluster.leader() == new_leader


def test_follower_restarted_catches_up_from_the_log_then_from_a_snapshot(make_cluster: MakeCluster) -> None:
    cluster = make_cluster()
    cluster.start()
    leader = cluster.wait_leader()
    follower = next(name for name in cluster.names if name != leader)

    async def load_while_down(blocks: int) -> list[str]:
        load = Load(cluster)
        load.start()
        await load.wait_acked(8)
        await asyncio.to_thread(cluster.kill, follower, signal.SIGKILL)
        start = cluster.height(leader)
        deadline = time.monotonic() + 30
        while cluster.height(leader) < start + blocks and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await load.stop()
        return load.acked

    # A few blocks behind: the leader still has the entries, so the log replays them.
    acked = asyncio.run(load_while_down(blocks=3))
    offset = _log_size(cluster, follower)
    cluster.start(follower)
    acked += asyncio.run(_more(cluster, 8))
    verify_cluster(cluster, acked)
    assert "raft snapshot received" not in _events(cluster, follower, offset)

    # Far behind (several snapshot intervals): it installs the leader's snapshot and fetches the blocks by Deliver.
    acked += asyncio.run(load_while_down(blocks=30))
    offset = _log_size(cluster, follower)
    cluster.start(follower)
    acked += asyncio.run(_more(cluster, 8))
    verify_cluster(cluster, acked)
    events = _events(cluster, follower, offset)
    assert "raft snapshot received" in events and "caught up from deliver" in events


async def _more(cluster: RaftCluster, count: int) -> list[str]:
    load = Load(cluster, seed=len(cluster.names) + count)
    load.start()
    await load.wait_acked(count)
    await load.stop()
    return load.acked


def test_two_of_three_stopped_nothing_commits_until_one_returns(make_cluster: MakeCluster) -> None:
    cluster = make_cluster()
    cluster.start()
    leader = cluster.wait_leader()
    followers = [name for name in cluster.names if name != leader]
    # Stop the leader and one follower: the survivor has no quorum, with or without having been the leader.
    stopped = [leader, followers[0]]
    survivor = followers[1]

    async def run() -> list[str]:
        load = Load(cluster)
        load.start()
        await load.wait_acked(20)
        await asyncio.to_thread(cluster.kill, stopped[0], signal.SIGKILL)
        await asyncio.to_thread(cluster.kill, stopped[1], signal.SIGTERM)
        await asyncio.sleep(1.5)  # what was in flight settles
        acked, height = len(load.acked), cluster.height(survivor)
        await asyncio.sleep(2.0)
        assert len(load.acked) == acked, "nothing may be acknowledged without a quorum"
        assert cluster.height(survivor) == height, "nothing may be committed without a quorum"
        assert cluster.leader([survivor]) is None
        assert load.statuses["SERVICE_UNAVAILABLE"] > 0
        await asyncio.to_thread(cluster.start, stopped[1])
        await load.wait_acked(30)
        await load.stop()
        return load.acked

    acked = asyncio.run(run())
    verify_cluster(cluster, acked)
    cluster.start(stopped[0])
    verify_cluster(cluster, acked)


def test_all_killed_and_restarted_the_chain_continues(make_cluster: MakeCluster) -> None:
    cluster = make_cluster()
    cluster.start()
    cluster.wait_leader()

    async def first() -> tuple[list[str], list[bytes]]:
        load = Load(cluster)
        load.start()
        await load.wait_acked(40)
        height = min([await asyncio.to_thread(cluster.height, name) for name in cluster.names])
        prefix = await chain_of(cluster, cluster.names[0], height)  # committed: it can never change
        for name in cluster.names:
            await asyncio.to_thread(cluster.kill, name, signal.SIGKILL)
        await load.stop()
        return load.acked, [hashing.header_hash(block.header) for block in prefix]

    acked, before = asyncio.run(first())
    cluster.start()
    cluster.wait_leader()
    acked += asyncio.run(_more(cluster, 40))
    height = verify_cluster(cluster, acked)
    after = asyncio.run(chain_of(cluster, cluster.names[0], height))
    assert height > len(before) + 1
    assert [hashing.header_hash(block.header) for block in after[:len(before)]] == before
