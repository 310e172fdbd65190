"""Peers on a Raft-ordered network (3 orderers, 2 orgs x 2 peers): killing the Raft leader while transactions
stream in loses no acknowledged transaction, the gateway then sends to the new leader directly, and `ledger
verify` passes once the old leader is back."""

from __future__ import annotations

import asyncio
import json
import signal
import urllib.request
from pathlib import Path

import pytest

from gridledger.ops.verify import verify_network
from gridledger.peer import broadcast
from tests.integration.network import REPO, TWO_ORGS, ItNetwork, running_network
from tests.integration.test_crash_recovery import stream_writes

pytestmark = pytest.mark.integration


def orderer_metrics(net: ItNetwork) -> dict[str, str]:
    """The /metrics text of every orderer that answers."""
    texts = {}
    for _, node in net.clients.network.orderer_nodes():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{node.operations_port}/metrics", timeout=2) as reply:
                texts[node.name] = reply.read().decode()
        except OSError:
            continue
    return texts


def raft_leader(net: ItNetwork) -> str | None:
    return next((name for name, text in orderer_metrics(net).items() if "gridledger_raft_is_leader 1" in text), None)


def broadcasts_received(net: ItNetwork) -> dict[str, float]:
    """Envelopes each orderer took in on its Broadcast service (forwarded ones arrive over the cluster service)."""
    found = {}
    for name, text in orderer_metrics(net).items():
        lines = [line for line in text.splitlines()
                 if line.startswith('gridledger_orderer_broadcast_envelopes_total{status="SUCCESS"}')]
        found[name] = float(lines[0].split()[-1]) if lines else 0.0
    return found


async def _wait_leader(net: ItNetwork, timeout: float = 20) -> str:
    deadline = asyncio.get_running_loop().time() + timeout
    while (leader := raft_leader(net)) is None:
        assert asyncio.get_running_loop().time() < deadline, "no raft leader elected"
        await asyncio.sleep(0.1)
    return leader


async def assert_sent_directly_to(net: ItNetwork, client, leader: str) -> None:
    """After one block (which names its leader to the gateway), ten submits reach `leader` and no other orderer."""
    await client.submit("kv", "put", f"names-{leader}", "1")
    before = broadcasts_received(net)
    for index in range(10):
        await client.submit("kv", "put", f"direct-{leader}-{index}", "1")
    received = broadcasts_received(net)
    assert {name for name in received if received[name] > before.get(name, 0.0)} == {leader}


def test_leader_killed_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with running_network(tmp_path, orgs=2, peers_per_org=2, orderers=3) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        acknowledged: list[str] = []

        async def scenario() -> None:
            leader = await _wait_leader(net)
            async with net.user("Org1MSP") as client:
                await assert_sent_directly_to(net, client, leader)
                writing = asyncio.create_task(stream_writes(client, "raft", 400, acknowledged))
                await asyncio.sleep(1.0)
                net.local.stop_node(leader, sig=signal.SIGKILL)
                new_leader = await _wait_leader(net)
                assert new_leader != leader
                await writing
                after = await client.submit("kv", "put", "after-failover", "1")
                assert after.code == 1
                # Past the hold-off of any orderer the gateway failed over from in the election, the next block
                # names the new leader, and from then on it alone takes in the gateway's envelopes.
                await asyncio.sleep(broadcast.LEADER_HOLD_OFF_S)
                await assert_sent_directly_to(net, client, new_leader)
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
