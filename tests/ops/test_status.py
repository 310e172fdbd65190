"""`network status` says who leads, from each orderer's own /healthz."""

from __future__ import annotations

from gridledger.ops.localnet import consensus_summary


def test_the_consensus_column_names_term_or_view_and_the_leader() -> None:
    assert consensus_summary({"status": "ok", "height": 3, "consensus": "raft", "term": 2, "leader": "orderer1"}) \
        == "raft term 2, leader orderer1"
    assert consensus_summary({"height": 9, "consensus": "bft", "view": 12, "leader": "o0", "view_changes": 1}) \
        == "bft view 12, leader o0"
    assert consensus_summary({"consensus": "raft", "term": 5, "leader": None}) == "raft term 5, leader none"
    assert consensus_summary({"status": "ok", "height": 3}) is None  # solo, or a peer
    assert consensus_summary(None) is None
