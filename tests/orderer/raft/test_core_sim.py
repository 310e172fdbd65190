"""The Raft rules under a lossy, duplicating, reordering network with crashes, over many seeds.

Checked after every event (sim.py): election safety (one leader per term), leader completeness (a new leader holds
every committed entry), commit only of current-term entries by counting replicas, state machine safety (every node
applies the same entry at each index, also across snapshots). Checked periodically: log matching. After the chaos,
with the network healed, the cluster must elect a leader, commit new entries and converge.
"""

from __future__ import annotations

import pytest

from gridledger.orderer.consensus.raft.core import CoreConfig, NotLeaderError, RaftCore, Role
from gridledger.v1 import raft_pb2
from tests.orderer.raft.sim import Faults, SafetyViolation, Simulation

SEEDS = range(40)


def _chaos_then_heal(sim: Simulation, chaos_rounds: int = 600) -> None:
    for round_ in range(chaos_rounds):
        sim.step_round()
        if round_ % 50 == 0:
            sim.check_log_matching()
    sim.check_log_matching()
    sim.heal()
    committed_before = max(sim.committed, default=0)
    for _ in range(400):
        sim.step_round(propose_every=0, chaos=False)
        if any(n.core.role is Role.LEADER for n in sim.nodes.values()):
            break
    assert sim.propose(), "a leader is elected once the network is healed"
    for _ in range(400):
        sim.step_round(propose_every=0, chaos=False)
        if sim.converged() and max(sim.committed, default=0) > committed_before:
            break
    sim.check_log_matching()
    assert max(sim.committed) > committed_before, "new entries commit after healing"
    assert sim.converged(), {n.id: (n.applied_index, n.core.commit) for n in sim.nodes.values()}


@pytest.mark.parametrize("seed", SEEDS)
def test_three_nodes_lossy_network_with_crashes(seed: int) -> None:
    sim = Simulation(seed, nodes=3)
    _chaos_then_heal(sim)
    assert sim.proposed > 0 and len(sim.leaders) >= 1


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_five_nodes_with_snapshots_and_heavy_faults(seed: int) -> None:
    faults = Faults(loss=0.25, duplicate=0.1, max_delay=6, crash=0.005, restart=0.04, partition=0.01)
    sim = Simulation(seed, nodes=5, faults=faults, snapshot_every=5)
    _chaos_then_heal(sim)


@pytest.mark.parametrize("seed", range(0, 40, 4))
def test_without_pre_vote_or_check_quorum(seed: int) -> None:
    """The base protocol must be safe on its own; the refinements only help liveness."""
    sim = Simulation(seed, nodes=3, pre_vote=False, check_quorum=False, snapshot_every=7)
    _chaos_then_heal(sim)


def test_the_simulation_replays_exactly() -> None:
    def trace(seed: int) -> list[tuple[int, int, bytes]]:
        sim = Simulation(seed, nodes=3, snapshot_every=5)
        sim.run(300)
        return sorted((index, term, data) for index, (term, data) in sim.committed.items())

    assert trace(7) == trace(7)
    assert trace(7) != trace(8)


def test_the_checks_catch_a_broken_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """A core that commits by counting replicas regardless of term must be caught (the checks are not vacuous)."""
    def careless_commit(self: RaftCore) -> bool:
        matches = sorted([self.log.last_index, *(pr.match for pr in self.progress.values())], reverse=True)
        candidate = matches[self.quorum - 1]
        if candidate <= self.commit:
            return False
        self.commit = candidate
        for peer in self.peers:
            self._send_append(peer)
        return True

    monkeypatch.setattr(RaftCore, "_maybe_commit", careless_commit)
    caught = 0
    for seed in range(30):
        sim = Simulation(seed, nodes=3, faults=Faults(loss=0.2, duplicate=0.05, max_delay=4, crash=0.01,
                                                      restart=0.05, partition=0.02))
        try:
            sim.run(400)
        except SafetyViolation:
            caught += 1
    assert caught > 0


def test_single_node_commits_alone_and_followers_refuse_proposals() -> None:
    import random

    config = CoreConfig(election_tick=5, heartbeat_tick=1)
    solo = RaftCore("a", ["a"], config, random.Random(1))
    for _ in range(10):
        solo.tick()
    assert solo.role is Role.LEADER and solo.term == 1
    index = solo.propose(raft_pb2.RAFT_ENTRY_BLOCK, b"x")
    ready = solo.ready()
    assert [e.index for e in ready.entries] == [1, index] and [e.data for e in ready.committed] == [b"", b"x"]

    follower = RaftCore("b", ["a", "b", "c"], config, random.Random(2))
    with pytest.raises(NotLeaderError):
        follower.propose(raft_pb2.RAFT_ENTRY_BLOCK, b"y")
