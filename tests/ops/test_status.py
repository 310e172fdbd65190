"""`network status` says who leads, from each orderer's own /healthz."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.ops.localnet import LocalNetwork, NetworkError, NodeStatus, consensus_summary
from gridledger.ops.netconfig import load_network

REPO = Path(__file__).resolve().parents[2]


def test_the_consensus_column_names_term_or_view_and_the_leader() -> None:
    assert consensus_summary({"status": "ok", "height": 3, "consensus": "raft", "term": 2, "leader": "orderer1"}) \
        == "raft term 2, leader orderer1"
    assert consensus_summary({"height": 9, "consensus": "bft", "view": 12, "leader": "o0", "view_changes": 1}) \
        == "bft view 12, leader o0"
    assert consensus_summary({"consensus": "raft", "term": 5, "leader": None}) == "raft term 5, leader none"
    assert consensus_summary({"status": "ok", "height": 3}) is None  # solo, or a peer
    assert consensus_summary(None) is None


class Scripted(LocalNetwork):
    """A network whose status polls return the given rounds in turn (the last one from then on)."""

    def __init__(self, tmp_path: Path, rounds: list[list[NodeStatus]]) -> None:
        super().__init__(tmp_path)
        self._rounds = rounds

    def status(self, network=None) -> list[NodeStatus]:
        return self._rounds.pop(0) if len(self._rounds) > 1 else self._rounds[0]


def _node(name: str, running: bool = True, healthy: bool = True) -> NodeStatus:
    return NodeStatus(name, "peer", "Org1MSP", "127.0.0.1:1", 1, running, healthy, 0, None)


def test_waiting_for_health_returns_once_all_are_healthy_and_names_who_failed(tmp_path: Path) -> None:
    network = load_network(REPO / "deploy" / "networks" / "dev.yaml")
    starting = [_node("a", healthy=False), _node("b")]
    ready = [_node("a"), _node("b")]
    assert Scripted(tmp_path, [starting, starting, ready]).wait_healthy(network, 5) == ready
    with pytest.raises(NetworkError, match=r"node\(s\) a exited; see `gridledger network logs a`"):
        Scripted(tmp_path, [starting, [_node("a", running=False), _node("b")]]).wait_healthy(network, 5)
    with pytest.raises(NetworkError, match=r"node\(s\) a did not become healthy within 0s"):
        Scripted(tmp_path, [starting]).wait_healthy(network, 0)
