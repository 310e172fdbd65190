"""Seeded fault schedules: reproducible, inside the run, one fault at a time, targets that exist."""

from __future__ import annotations

import pytest

from gridledger.lab.chaos.profiles import PROFILES
from gridledger.lab.chaos.schedule import HEALED_TAIL_S, KINDS, Topology, generate

RAFT = Topology("raft", ("orderer0", "orderer1", "orderer2"), ("peer0-org1", "peer0-org2"))
BFT = Topology("bft", ("orderer0", "orderer1", "orderer2", "orderer3"), ("peer0-org1", "peer1-org1"))


def test_same_seed_same_schedule_other_seed_other_schedule() -> None:
    assert generate(7, 3, RAFT, 30) == generate(7, 3, RAFT, 30)
    assert generate(7, 3, RAFT, 30) != generate(8, 3, RAFT, 30)
    assert generate(7, 3, RAFT, 30) != generate(7, 4, RAFT, 30)


@pytest.mark.parametrize("topology", [RAFT, BFT])
def test_faults_do_not_overlap_and_end_healed(topology: Topology) -> None:
    kinds_seen = set()
    for index in range(200):
        schedule = generate(1, index, topology, 12)
        assert schedule.faults
        previous_end = 0.0
        for fault in schedule.faults:
            kinds_seen.add(fault.kind)
            assert fault.start_s >= previous_end
            assert fault.end_s <= 12 - HEALED_TAIL_S + 0.01
            assert set(fault.nodes) <= set(topology.nodes) and fault.nodes
            previous_end = fault.end_s
            if fault.kind == "partition" and len(fault.nodes) > 1:
                cut_orderers = [n for n in fault.nodes if n in topology.orderers]
                assert len(cut_orderers) <= (len(topology.orderers) - 1) // 2  # a minority of the orderers
                assert len(fault.nodes) < len(topology.nodes)
            if fault.kind == "link":
                assert fault.profile in PROFILES
            if fault.kind == "clock-skew":
                assert 30 <= abs(fault.skew_s) <= 7200
    assert kinds_seen == set(KINDS)


def test_kinds_restrict_what_is_drawn_and_bad_arguments_are_refused() -> None:
    assert {f.kind for i in range(50) for f in generate(2, i, RAFT, 20, ("kill", "pause")).faults} == \
        {"kill", "pause"}
    with pytest.raises(ValueError, match="unknown fault kind"):
        generate(1, 0, RAFT, 20, ("meteor",))
    with pytest.raises(ValueError, match="at least"):
        generate(1, 0, RAFT, 1)
    with pytest.raises(ValueError, match="one orderer and one peer"):
        generate(1, 0, Topology("solo", (), ("p",)), 20)
