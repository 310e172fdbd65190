"""Judging a chaos run from its history and the chains read back afterwards. Pure: data in, verdicts out.

The properties (docs/reliability.md):
- every acknowledged transaction is committed VALID exactly once on every peer, in the block its
  acknowledgement named; one missing is lost, one committed twice is a duplicate;
- no two nodes (peers or orderers) hold different blocks at one height (a fork);
- every peer and every orderer reaches the same height once healed, and peers at one height report one state
  hash (after every schedule here, and again by `ledger verify` at the end).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gridledger.lab.chaos.ledgers import BlockSummary

VALID = "VALID"


@dataclass
class Verdict:
    acked: int = 0
    committed: int = 0  # acknowledged and found VALID exactly once, in its block, on every peer
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    forks: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.forks or self.problems)

    def lines(self, limit: int | None = None) -> list[str]:
        """Every finding as one line (at most `limit` of each kind)."""
        return (self.problems + [f"lost {tx}" for tx in self.lost[:limit]]
                + [f"duplicated {tx}" for tx in self.duplicated[:limit]] + self.forks[:limit])


def find_forks(chains: Mapping[str, Sequence[BlockSummary]]) -> list[str]:
    """One line per height at which two nodes hold different blocks."""
    seen: dict[int, tuple[str, str]] = {}
    forks = []
    for node, chain in chains.items():
        for block in chain:
            first = seen.setdefault(block.number, (node, block.header_hash))
            if first[1] != block.header_hash:
                forks.append(f"block {block.number}: {first[0]} holds {first[1][:16]}, {node} holds "
                             f"{block.header_hash[:16]}")
    return forks


def _valid_positions(chain: Sequence[BlockSummary]) -> dict[str, list[int]]:
    """txid -> the blocks in which it is VALID."""
    positions: dict[str, list[int]] = {}
    for block in chain:
        for tx_id, code in block.txs:
            if code == VALID:
                positions.setdefault(tx_id, []).append(block.number)
    return positions


def judge(acks: Iterable[Mapping[str, object]], chains: Mapping[str, Sequence[BlockSummary]],
          peers: Sequence[str]) -> Verdict:
    """`acks`: the history's ack events (tx_id, block); `chains`: every node's blocks, all read from the same
    first block; `peers`: which of the chains are peers' (those carry validation codes)."""
    verdict = Verdict(forks=find_forks(chains))
    first = min((chain[0].number for chain in chains.values() if chain), default=0)
    ends = {node: (chain[-1].number + 1 if chain else first) for node, chain in chains.items()}
    if len(set(ends.values())) > 1:
        verdict.problems.append(f"nodes end at different heights after healing: {dict(sorted(ends.items()))}")
    positions = {peer: _valid_positions(chains.get(peer, ())) for peer in peers}
    lost, duplicated = set(), set()
    for ack in acks:
        tx_id, block = str(ack["tx_id"]), int(ack["block"])  # type: ignore[call-overload]
        if block < first:
            continue  # committed before the blocks read here; an earlier check judged it
        verdict.acked += 1
        counts = Counter(len(positions[peer].get(tx_id, ())) for peer in peers)
        if counts[0]:
            lost.add(tx_id)
        elif set(counts) != {1}:
            duplicated.add(tx_id)
        elif any(positions[peer][tx_id] != [block] for peer in peers):
            verdict.problems.append(f"{tx_id} was acknowledged in block {block} but committed elsewhere")
        else:
            verdict.committed += 1
    verdict.lost, verdict.duplicated = sorted(lost), sorted(duplicated)
    return verdict


def state_hash_mismatches(hashes: Mapping[str, tuple[int, str]]) -> list[str]:
    """Peers at one height must report one state hash; one line per height at which they do not."""
    by_height: dict[int, dict[str, str]] = {}
    for peer, (height, state_hash) in hashes.items():
        by_height.setdefault(height, {})[peer] = state_hash
    return [f"state hashes differ at height {height}: {dict(sorted(peers.items()))}"
            for height, peers in sorted(by_height.items()) if len(set(peers.values())) > 1]


def max_stall(block_times: Iterable[float], start: float, end: float) -> float:
    """The longest time within [start, end] in which no new block was seen anywhere."""
    times = sorted(t for t in block_times if start <= t <= end)
    edges = [start, *times, end]
    return max(b - a for a, b in itertools.pairwise(edges))
