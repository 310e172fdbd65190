"""Peers on a Raft-ordered network (3 orderers, 2 orgs x 2 peers): killing the Raft leader while transactions
stream in loses no acknowledged transaction, and `ledger verify` passes once the old leader is back."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.request
from pathlib import Path

import pytest

from gridledger.ops.verify import verify_network
from tests.integration.network import REPO, TWO_ORGS, ItNetwork, running_network
from tests.integration.test_crash_recovery import stream_writes

pytestmark = pytest.mark.integration


def raft_leader(net: ItNetwork) -> str | None:
    for _, node in net.clients.network.orderer_nodes():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{node.operations_port}/metrics", timeout=2) as reply:
                text = reply.read().decode()
        except OSError:
            continue
        if "gridledger_raft_is_leader 1" in text:
            return node.name
    return None


async def _wait_leader(net: ItNetwork, timeout: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while (leader := raft_leader(net)) is None:
        assert asyncio.get_running_loop().time() < deadline, "no raft leader elected"
        await asyncio.sleep(0.1)
    return leader


def test_leader_killed_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with running_network(tmp_path, orgs=2, peers_per_org=2, orderers=3) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        acknowledged: list[str] = []

        async def scenario() -> None:
            leader = await _wait_leader(net)
            async with net.user("Org1MSP") as client:
                writing = asyncio.create_task(stream_writes(client, "raft", 400, acknowledged))
                await asyncio.sleep(1.0)
                net.local.stop_node(leader, sig=signal.SIGKILL)
                new_leader = await _wait_leader(net)
                assert new_leader != leader
                await writing
                after = await client.submit("kv", "put", "after-failover", "1")
                assert after.code == 1
            net.local.start_node(leader, "orderer")
            net.local.wait_healthy(net.clients.network, timeout=60)
            report = await verify_network(net.clients, settle_seconds=30)
            assert report.ok, report.problems
            for peer in net.peers:
                async with net.user(peer.msp_id, peer) as reader:
                    stored = await reader.evaluate("kv", "range", "raft-", "raft-~")
                    missing = set(acknowledged) - {key for key, _ in json.loads(stored)}
                    assert not missing, f"{peer.name} lacks acknowledged {sorted(missing)[:5]}"

        asyncio.run(scenario())
        assert len(acknowledged) > 100
