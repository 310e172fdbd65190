"""Peers on a BFT-ordered network (4 orderers of 4 organisations, f = 1; 2 orgs x 2 peers) with real processes:
an orderer killed mid-stream, or one that turns Byzantine (docs/bft.md, "Byzantine test modes"), loses no
acknowledged transaction, forks nothing (`ledger verify`), and the network keeps committing."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from gridledger.ops.verify import verify_network
from tests.integration.network import REPO, TWO_ORGS, ItNetwork, running_network
from tests.integration.test_crash_recovery import stream_writes

pytestmark = pytest.mark.integration

# The modes `make test` runs; the rest run in `make test-faults`.
FAST_MODES = ("equivocate",)  # the other modes run in make test-faults (CI time)
ALL_MODES = ("mute", "equivocate", "censor:Org1MSP", "bad-votes", "replay", "withhold", "forge")


async def _check_every_peer(net: ItNetwork, prefix: str, acknowledged: list[str]) -> None:
    report = await verify_network(net.clients, settle_seconds=30)
    assert report.ok, report.problems
    for peer in net.peers:
        async with net.user(peer.msp_id, peer) as reader:
            stored = await reader.evaluate("kv", "range", f"{prefix}-", f"{prefix}-~")
            missing = set(acknowledged) - {key for key, _ in json.loads(stored)}
            assert not missing, f"{peer.name} lacks acknowledged {sorted(missing)[:5]}"


def test_an_orderer_killed_mid_stream_loses_nothing_acknowledged(tmp_path: Path) -> None:
    with running_network(tmp_path, orgs=2, peers_per_org=2, orderers=4) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        acknowledged: list[str] = []

        async def scenario() -> None:
            async with net.user("Org1MSP") as client:
                writing = asyncio.create_task(stream_writes(client, "bft", 300, acknowledged))
                await asyncio.sleep(1.0)
                net.local.stop_node("orderer1", sig=signal.SIGKILL)
                await writing
                after = await client.submit("kv", "put", "after-kill", "1")
                assert after.code == 1
            net.local.start_node("orderer1", "orderer")
            statuses = net.local.wait_healthy(net.clients.network, timeout=60)
            await _check_every_peer(net, "bft", acknowledged)
            reported = [s.consensus or "" for s in statuses if s.role == "orderer"]
            assert all(r.startswith("bft view ") for r in reported), reported

        asyncio.run(scenario())
        assert len(acknowledged) > 250


def _byzantine(mode: str) -> list:
    marks = [] if mode in FAST_MODES else [pytest.mark.faults]
    return pytest.param(mode, marks=marks, id=mode.split(":")[0])


@pytest.mark.parametrize("mode", [_byzantine(m) for m in ALL_MODES])
def test_one_byzantine_orderer(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_network(tmp_path, orgs=2, peers_per_org=2, orderers=4) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        # orderer0 is where every peer pulls blocks from first, so the Deliver modes meet them all.
        net.local.stop_node("orderer0")
        monkeypatch.setenv("GRIDLEDGER_BFT_FAULT", mode)
        monkeypatch.setenv("GRIDLEDGER_ALLOW_FAULTS", "1")
        net.local.start_node("orderer0", "orderer")  # only this process inherits the fault
        monkeypatch.delenv("GRIDLEDGER_BFT_FAULT")
        monkeypatch.delenv("GRIDLEDGER_ALLOW_FAULTS")
        net.local.wait_healthy(net.clients.network, timeout=60)
        for peer in net.peers:  # restarted peers pull from orderer0 first
            net.local.stop_node(peer.name)
            net.local.start_node(peer.name, "peer")
        net.local.wait_healthy(net.clients.network, timeout=60)
        acknowledged: list[str] = []

        async def scenario() -> None:
            async with net.user("Org1MSP") as client:
                # A Byzantine leader costs a view timeout every n views; on a loaded 2-core machine a transaction
                # may wait several, so the budget per transaction is generous: the claim is that all commit.
                await stream_writes(client, "byz", 120, acknowledged, timeout=45)
            await _check_every_peer(net, "byz", acknowledged)

        asyncio.run(scenario())
        assert len(acknowledged) == 120, "every transaction commits despite one Byzantine orderer"
        peer_logs = "".join((net.local.node_dir(p.name) / "node.log").read_text() for p in net.peers)
        if mode == "withhold":
            assert "sent nothing" in peer_logs, "a peer noticed the silent orderer and switched"
        if mode == "forge":
            assert "rejected" in peer_logs, "a peer refused a block without a valid quorum"


def test_a_fault_mode_without_permission_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with running_network(tmp_path, orgs=1, peers_per_org=1, orderers=4) as net:
        net.local.stop_node("orderer3")
        monkeypatch.setenv("GRIDLEDGER_BFT_FAULT", "mute")
        net.local.start_node("orderer3", "orderer")
        monkeypatch.delenv("GRIDLEDGER_BFT_FAULT")
        with pytest.raises(Exception, match="orderer3"):
            net.local.wait_healthy(net.clients.network, timeout=20)
        log = (net.local.node_dir("orderer3") / "node.log").read_text()
        assert "GRIDLEDGER_ALLOW_FAULTS=1" in log


def test_two_faulty_orderers_of_four_stall_without_forking_and_recover(tmp_path: Path) -> None:
    """Beyond f: with two of four orderers down nothing commits (and nothing forks); one back, and it goes on."""
    with running_network(tmp_path, orgs=1, peers_per_org=1, orderers=4) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", "ANY")

        async def scenario() -> None:
            async with net.user("Org1MSP") as client:
                assert (await client.submit("kv", "put", "before", "1")).code == 1
                height = net.local.status(net.clients.network)[-1].height
                net.local.stop_node("orderer1", sig=signal.SIGKILL)
                net.local.stop_node("orderer2", sig=signal.SIGKILL)
                stalled = asyncio.create_task(client.submit("kv", "put", "during", "1", timeout=60))
                await asyncio.sleep(5)
                assert not stalled.done(), "no quorum, no commit"
                assert net.local.status(net.clients.network)[-1].height == height
                net.local.start_node("orderer2", "orderer")
                assert (await stalled).code == 1, "the stalled transaction commits once a quorum is back"
            report = await verify_network(net.clients, settle_seconds=30)
            assert report.ok, report.problems

        asyncio.run(scenario())
