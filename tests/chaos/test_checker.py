"""The checker on hand-made histories and chains: each property it holds the ledgers to, failing when broken."""

from __future__ import annotations

from gridledger.lab.chaos.checker import find_forks, judge, max_stall, state_hash_mismatches
from gridledger.lab.chaos.ledgers import BlockSummary

PEERS = ["p1", "p2"]


def _chain(*blocks: tuple[int, str, tuple[tuple[str, str], ...]]) -> list[BlockSummary]:
    return [BlockSummary(number, digest, txs) for number, digest, txs in blocks]


def _healthy() -> dict[str, list[BlockSummary]]:
    peer = _chain((5, "h5", (("a", "VALID"),)), (6, "h6", (("b", "VALID"), ("a", "DUPLICATE_TXID"))))
    orderer = _chain((5, "h5", (("a", ""),)), (6, "h6", (("b", ""), ("a", ""))))
    return {"p1": peer, "p2": list(peer), "o1": orderer}


ACKS = [{"tx_id": "a", "block": 5}, {"tx_id": "b", "block": 6}]


def test_a_healthy_run_passes_and_counts_what_was_committed() -> None:
    verdict = judge(ACKS, _healthy(), PEERS)
    assert verdict.ok and (verdict.acked, verdict.committed) == (2, 2)


def test_an_acknowledged_transaction_missing_on_one_peer_is_lost() -> None:
    chains = _healthy()
    chains["p2"] = _chain((5, "h5", (("a", "VALID"),)), (6, "h6", (("b", "MVCC_READ_CONFLICT"),)))
    verdict = judge(ACKS, chains, PEERS)
    assert verdict.lost == ["b"] and not verdict.ok


def test_a_transaction_valid_twice_is_duplicated_and_one_in_another_block_is_a_problem() -> None:
    chains = _healthy()
    twice = _chain((5, "h5", (("a", "VALID"),)), (6, "h6", (("b", "VALID"), ("a", "VALID"))))
    chains["p1"] = chains["p2"] = twice
    assert judge(ACKS, chains, PEERS).duplicated == ["a"]
    moved = judge([{"tx_id": "b", "block": 5}], _healthy(), PEERS)
    assert "committed elsewhere" in moved.problems[0]


def test_different_blocks_at_one_height_are_a_fork_and_unequal_heights_a_problem() -> None:
    chains = _healthy()
    chains["o1"] = _chain((5, "h5", ()), (6, "other", ()))
    assert find_forks(chains) == ["block 6: p1 holds h6, o1 holds other"]
    chains = _healthy()
    chains["o1"] = chains["o1"][:1]
    assert "different heights" in judge(ACKS, chains, PEERS).problems[0]


def test_acks_before_the_blocks_read_are_left_to_the_earlier_check() -> None:
    verdict = judge([{"tx_id": "z", "block": 2}, *ACKS], _healthy(), PEERS)
    assert verdict.ok and verdict.acked == 2


def test_max_stall_is_the_longest_gap_without_a_new_block() -> None:
    assert max_stall([1.0, 1.5, 4.0, 4.2], 0.0, 5.0) == 2.5
    assert max_stall([], 2.0, 3.0) == 1.0
    assert max_stall([10.0], 0.0, 5.0) == 5.0


def test_peers_at_one_height_must_report_one_state_hash() -> None:
    assert state_hash_mismatches({"p1": (9, "aa"), "p2": (9, "aa"), "p3": (8, "bb")}) == []
    assert state_hash_mismatches({"p1": (9, "aa"), "p2": (9, "ab")}) == [
        "state hashes differ at height 9: {'p1': 'aa', 'p2': 'ab'}"]
