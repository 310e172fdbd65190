"""Seeded fault schedules: the same seed, schedule index and topology always give the same faults.

A schedule is a sequence of faults that do not overlap in time, each healed before the next starts, inside the
run's duration; the last second is left fault-free so every schedule ends healed. Overlapping faults would make a
stall impossible to attribute to one cause; a run's many schedules vary the kind, the target and the timing instead.
Pure: no clock, no I/O; the runner turns times into sleeps and faults into injector calls.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from gridledger.lab.chaos.profiles import PROFILES

KINDS = ("kill", "pause", "partition", "link", "clock-skew", "disk-full")
MIN_FAULT_S, MAX_FAULT_S = 1.0, 4.0
MIN_GAP_S, MAX_GAP_S = 0.5, 2.0
HEALED_TAIL_S = 1.0
MAX_SKEW_S = 2 * 3600.0


@dataclass(frozen=True)
class Topology:
    """The nodes a schedule may act on (names as the network definition gives them) and the consensus type."""

    consensus: str
    orderers: tuple[str, ...]
    peers: tuple[str, ...]

    @property
    def nodes(self) -> tuple[str, ...]:
        return self.orderers + self.peers


@dataclass(frozen=True)
class Fault:
    """One fault from `start_s` for `duration_s` seconds of the schedule. `nodes`: the node killed, paused, skewed
    or filled, the group cut off from the rest (partition), or the nodes whose links get `profile` (link)."""

    kind: str
    start_s: float
    duration_s: float
    nodes: tuple[str, ...]
    profile: str = ""
    skew_s: float = 0.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    def describe(self) -> str:
        extra = f" {self.profile}" if self.profile else f" {self.skew_s:+.0f}s" if self.skew_s else ""
        return f"{self.kind}{extra} {'+'.join(self.nodes)} @{self.start_s:.1f}s for {self.duration_s:.1f}s"

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "nodes": list(self.nodes)}


@dataclass(frozen=True)
class Schedule:
    seed: int
    index: int
    duration_s: float
    faults: tuple[Fault, ...]


def _partition_group(rng: random.Random, topology: Topology) -> tuple[str, ...]:
    """One node alone, or (with three or more orderers) a minority of orderers with some of the peers."""
    if len(topology.orderers) < 3 or rng.random() < 0.5:
        return (rng.choice(topology.nodes),)
    minority = rng.sample(topology.orderers, rng.randint(1, (len(topology.orderers) - 1) // 2))
    peers = rng.sample(topology.peers, rng.randint(0, len(topology.peers) - 1))
    return tuple(minority + peers)


def _fault(rng: random.Random, kind: str, start: float, length: float, topology: Topology) -> Fault:
    if kind == "partition":
        return Fault(kind, start, length, _partition_group(rng, topology))
    if kind == "link":
        nodes = topology.nodes if rng.random() < 0.3 else (rng.choice(topology.nodes),)
        return Fault(kind, start, length, tuple(nodes), profile=rng.choice(sorted(PROFILES)))
    if kind == "clock-skew":
        return Fault(kind, start, length, (rng.choice(topology.nodes),),
                     skew_s=round(rng.choice((-1, 1)) * rng.uniform(30, MAX_SKEW_S)))
    return Fault(kind, start, length, (rng.choice(topology.nodes),))


def generate(seed: int, index: int, topology: Topology, duration_s: float,
             kinds: tuple[str, ...] = KINDS) -> Schedule:
    """Schedule `index` of the run seeded `seed`: faults of `kinds`, one after another, within `duration_s`."""
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise ValueError(f"unknown fault kind(s) {', '.join(unknown) or '(none given)'}; "
                         f"choose from {', '.join(KINDS)}")
    if duration_s < MIN_FAULT_S + HEALED_TAIL_S + MIN_GAP_S:
        shortest = MIN_FAULT_S + HEALED_TAIL_S + MIN_GAP_S
        raise ValueError(f"a schedule needs at least {shortest:g} s, got {duration_s:g}")
    if not topology.orderers or not topology.peers:
        raise ValueError("a chaos schedule needs at least one orderer and one peer")
    rng = random.Random(f"gridledger-chaos:{seed}:{index}")
    faults: list[Fault] = []
    start = rng.uniform(MIN_GAP_S, MAX_GAP_S)
    while start + MIN_FAULT_S <= duration_s - HEALED_TAIL_S:
        length = rng.uniform(MIN_FAULT_S, min(MAX_FAULT_S, duration_s - HEALED_TAIL_S - start))
        faults.append(_fault(rng, rng.choice(kinds), round(start, 2), round(length, 2), topology))
        start += length + rng.uniform(MIN_GAP_S, MAX_GAP_S)
    return Schedule(seed, index, duration_s, tuple(faults))
