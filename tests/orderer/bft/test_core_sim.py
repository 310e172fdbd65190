"""The BFT rules under loss, duplication, reordering, partitions, crashes and one Byzantine replica, over many seeds.

Checked after every event (sim.py): no two honest replicas hold different blocks at one height, and every block a
replica commits links to its chain and carries a valid COMMIT certificate. After the chaos, with the network
healed, every request submitted must be committed on every honest replica and the chains must converge.
`GRIDLEDGER_BFT_SEEDS` raises the number of seeds (make test-faults runs thousands).
"""

from __future__ import annotations

import os

import pytest

from gridledger.orderer.consensus.bft.core import CoreConfig
from tests.orderer.bft.sim import BYZANTINE_MODES, CONFIG, FORGED, Faults, Simulation

SEEDS = range(int(os.environ.get("GRIDLEDGER_BFT_SEEDS", "12")))


def _chaos_then_heal(sim: Simulation, rounds: int = 500) -> None:
    sim.run(rounds, submit_every=5)
    sim.heal()
    sim.resubmit_missing()
    late = sim.submit(3)  # requests after healing commit too
    assert sim.run_until(sim.converged, 4000), [
        (r.id, len(r.chain), r.core.view, len(r.core.pool), dict(r.core.rejected)) for r in sim.replicas.values()]
    assert set(late) <= set(sim.committed_txids(sim.honest[0]))
    assert len(sim.honest[0].chain) > 10


@pytest.mark.parametrize("seed", SEEDS)
def test_crashes_partitions_and_a_lossy_network(seed: int) -> None:
    _chaos_then_heal(Simulation(seed))


@pytest.mark.parametrize("mode", BYZANTINE_MODES)
@pytest.mark.parametrize("seed", SEEDS[: max(1, len(SEEDS) // 3)])
def test_one_byzantine_replica(mode: str, seed: int) -> None:
    sim = Simulation(seed, byzantine={f"o{seed % 4}": mode})
    _chaos_then_heal(sim)


def test_a_leader_cannot_smuggle_an_invalid_envelope_into_a_block() -> None:
    """Honest replicas validate every envelope of a proposal they do not hold already, so a leader cannot order a
    forged copy of a transaction ahead of the genuine one (which peers would then mark DUPLICATE_TXID)."""
    sim = Simulation(9, faults=Faults(loss=0, duplicate=0, crash=0, partition=0), byzantine={"o1": "smuggle"})
    sim.run(300, submit_every=3)
    assert sim.run_until(sim.converged, 2000)
    assert all(FORGED not in b.data.envelopes for r in sim.honest for b in r.chain)
    assert any(r.core.rejected["proposed block holds an invalid envelope"] for r in sim.honest)


def test_every_request_commits_exactly_once_without_faults() -> None:
    sim = Simulation(7, faults=Faults(loss=0, duplicate=0, crash=0, partition=0))
    sim.run(300, submit_every=2)
    assert sim.run_until(sim.converged, 500)
    txids = sim.committed_txids(sim.honest[0])
    assert sorted(txids) == sorted(sim.submitted)
    assert len(txids) == len(set(txids))
    assert all(r.core.view_changes == 0 for r in sim.replicas.values())
    leaders = {r.core.committee.leader(v) for r in sim.honest for v in range(r.core.view)}
    assert leaders == set(sim.ids), "the leader rotates without faults"


def test_a_censored_request_commits_within_two_view_changes() -> None:
    config = CoreConfig(limits=CONFIG.limits, request_timeout_s=0.1, view_timeout_s=0.2, leader_rotation=False)
    sim = Simulation(3, faults=Faults(loss=0, duplicate=0, crash=0, partition=0), byzantine={"o0": "censor"},
                     config=config)
    sim.submit(4)
    assert sim.run_until(sim.converged, 200), "the censoring leader orders everyone else's requests"
    censored = sim.submit(1, prefix="tx-c")
    assert sim.run_until(lambda: sim.converged(censored), 1000)
    assert max(r.core.view_changes for r in sim.honest) <= 2


def test_two_faulty_of_four_stall_without_forking_and_recover() -> None:
    sim = Simulation(5, faults=Faults(loss=0, duplicate=0, crash=0, partition=0))
    sim.submit(3)
    assert sim.run_until(sim.converged, 300)
    height = len(sim.honest[0].chain)
    sim.crash("o1")
    sim.crash("o2")
    sim.submit(3, to=["o0", "o3"])
    sim.run(800, chaos=False)
    assert {len(r.chain) for r in sim.replicas.values()} == {height}, "no progress beyond f faults"
    sim.restart("o2")
    assert sim.run_until(lambda: len(sim.replicas["o2"].chain) > height and len(sim.replicas["o0"].chain) > height,
                         3000), "progress resumes when one recovers"


def test_all_replicas_crash_and_restart_from_what_they_persisted() -> None:
    """Pools are memory only (a client is acknowledged only once its request commits), so a crash of everyone
    may drop requests in flight; nothing committed is lost, the chains converge, and new requests commit."""
    sim = Simulation(11, faults=Faults(crash=0, partition=0))
    committed: set[str] = set()
    for _ in range(5):
        sim.run(150, submit_every=3)
        committed |= {t for r in sim.honest for t in sim.committed_txids(r)}
        for node_id in sim.ids:
            sim.crash(node_id)
        sim.heal()
    fresh = sim.submit(5)
    assert sim.run_until(lambda: sim.converged(fresh), 4000)
    assert committed <= set(sim.committed_txids(sim.honest[0]))
