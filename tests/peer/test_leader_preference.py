"""The gateway's crash-fault broadcaster sends to the raft leader that the newest block names, and keeps away for a
while from an orderer it had to fail over from (peer/broadcast.py). The links' answers are scripted here; real
streams to real orderers are exercised by tests/integration/test_raft_network.py."""

from __future__ import annotations

import asyncio

import pytest

from gridledger.common.grpcutil import TlsMaterial
from gridledger.common.nodeconfig import Endpoint
from gridledger.peer import broadcast
from gridledger.peer.broadcast import FailoverBroadcaster, raft_leader
from gridledger.v1 import block_pb2, orderer_pb2, raft_pb2, transaction_pb2

NAMES = ("orderer0", "orderer1", "orderer2")


def scripted(unavailable: set[str]) -> tuple[FailoverBroadcaster, list[str]]:
    """A broadcaster whose links record which orderer got each envelope; those in `unavailable` refuse."""
    endpoints = [Endpoint(name=name, msp_id="OrdererMSP", address=f"127.0.0.1:{7050 + i}", role="orderer")
                 for i, name in enumerate(NAMES)]
    broadcaster = FailoverBroadcaster(endpoints, TlsMaterial(b"cert", b"key", b"root"))
    sent: list[str] = []
    for link in broadcaster._links:
        async def call(envelope, name=link.endpoint.name) -> orderer_pb2.BroadcastResult:
            sent.append(name)
            status = orderer_pb2.SERVICE_UNAVAILABLE if name in unavailable else orderer_pb2.SUCCESS
            return orderer_pb2.BroadcastResult(status=status)
        link.call = call
    return broadcaster, sent


def test_the_block_metadata_names_its_raft_leader() -> None:
    block = block_pb2.Block()
    block.metadata.consenter_metadata = raft_pb2.RaftBlockMetadata(raft_index=7, raft_term=2,
                                                                   leader="orderer2").SerializeToString()
    assert raft_leader(block) == "orderer2"
    block.metadata.consenter_metadata = b"\xff\xff"
    assert raft_leader(block) == ""
    assert raft_leader(block_pb2.Block()) == ""


def test_envelopes_go_to_the_preferred_leader() -> None:
    async def scenario() -> list[str]:
        broadcaster, sent = scripted(unavailable=set())
        await broadcaster.broadcast(transaction_pb2.Envelope())
        broadcaster.prefer("orderer2")
        await broadcaster.broadcast(transaction_pb2.Envelope())
        broadcaster.prefer("orderer9")  # not one of ours: nothing changes
        await broadcaster.broadcast(transaction_pb2.Envelope())
        return sent

    assert asyncio.run(scenario()) == ["orderer0", "orderer2", "orderer2"]


def test_an_orderer_failed_over_from_is_not_preferred_until_the_hold_off_passed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> list[str]:
        broadcaster, sent = scripted(unavailable={"orderer1"})
        broadcaster.prefer("orderer1")
        assert (await broadcaster.broadcast(transaction_pb2.Envelope())).status == orderer_pb2.SUCCESS
        broadcaster.prefer("orderer1")  # failed a moment ago: ignored
        await broadcaster.broadcast(transaction_pb2.Envelope())
        monkeypatch.setattr(broadcast, "LEADER_HOLD_OFF_S", 0.0)
        broadcaster.prefer("orderer1")
        await broadcaster.broadcast(transaction_pb2.Envelope())
        return sent

    assert asyncio.run(scenario()) == ["orderer1", "orderer2", "orderer2", "orderer1", "orderer2"]
