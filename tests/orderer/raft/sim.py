"""A deterministic simulator for `RaftCore`: nodes, a lossy network, crashes, and the Raft safety checks.

Everything random comes from one `random.Random(seed)`, and nothing reads a clock, so a failing seed replays
exactly. Time advances in rounds; in each round every live node ticks, and messages are delivered after a random
delay of whole rounds (which reorders them), dropped, or duplicated. A crash throws a node's memory away and
restarts it from what its Ready handling had persisted, as the orderer does after kill -9.

Each node's "state machine" is a running SHA-256 over the data of the entries it applied, so two nodes that
applied the same prefix hold the same digest, and a snapshot is just that digest (plus how many entries it covers).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field

from gridledger.orderer.consensus.raft.core import CoreConfig, PersistentState, RaftCore, Ready, Role
from gridledger.v1 import raft_pb2


class SafetyViolation(AssertionError):
    pass


@dataclass
class MemoryStorage:
    """What a node persisted: the same operations as RaftStorage.save, in memory."""

    hard_state: raft_pb2.RaftHardState = field(default_factory=raft_pb2.RaftHardState)
    snapshot: raft_pb2.RaftSnapshot | None = None
    offset_index: int = 0
    offset_term: int = 0
    entries: dict[int, raft_pb2.RaftEntry] = field(default_factory=dict)

    def save(self, ready: Ready) -> None:
        if ready.received_snapshot is not None:
            self.entries.clear()
            self.snapshot = ready.received_snapshot
            self.offset_index, self.offset_term = ready.received_snapshot.index, ready.received_snapshot.term
        if ready.new_snapshot is not None:
            self.snapshot = ready.new_snapshot
        if ready.compacted is not None:
            for index in [i for i in self.entries if i <= ready.compacted[0]]:
                del self.entries[index]
            self.offset_index, self.offset_term = ready.compacted
        if ready.entries:
            new_last = ready.entries[-1].index
            for index in [i for i in self.entries if i > new_last]:
                del self.entries[index]
            for entry in ready.entries:
                self.entries[entry.index] = _copy(entry)
        if ready.hard_state is not None:
            self.hard_state = ready.hard_state

    def load(self) -> PersistentState:
        entries = [_copy(self.entries[i]) for i in sorted(self.entries)]
        return PersistentState(hard_state=self.hard_state, snapshot=self.snapshot, offset_index=self.offset_index,
                               offset_term=self.offset_term, entries=entries)


def _copy(entry: raft_pb2.RaftEntry) -> raft_pb2.RaftEntry:
    clone = raft_pb2.RaftEntry()
    clone.CopyFrom(entry)
    return clone


def _digest(previous: bytes, entry: raft_pb2.RaftEntry) -> bytes:
    return hashlib.sha256(previous + entry.term.to_bytes(8, "big") + entry.data).digest()


@dataclass
class SimNode:
    id: str
    core: RaftCore
    storage: MemoryStorage
    alive: bool = True
    applied_index: int = 0
    state: bytes = b""  # running digest of applied entries


@dataclass
class Faults:
    loss: float = 0.1
    duplicate: float = 0.05
    max_delay: int = 3  # rounds; a random delay per message reorders them
    crash: float = 0.004  # per node and round
    restart: float = 0.05  # per dead node and round
    partition: float = 0.01  # per round: cut the nodes into two random groups for 10-80 rounds


class Simulation:
    def __init__(self, seed: int, nodes: int = 3, faults: Faults | None = None, *, election_tick: int = 10,
                 heartbeat_tick: int = 2, snapshot_every: int = 0, pre_vote: bool = True,
                 check_quorum: bool = True, max_inflight: int = 4) -> None:
        self.rng = random.Random(seed)
        self.faults = faults or Faults()
        self.ids = [f"n{i}" for i in range(nodes)]
        self.config = CoreConfig(election_tick=election_tick, heartbeat_tick=heartbeat_tick,
                                 max_inflight=max_inflight, max_message_bytes=64, catchup_entries=2,
                                 pre_vote=pre_vote, check_quorum=check_quorum)
        self.snapshot_every = snapshot_every
        self.nodes = {i: self._boot(i, MemoryStorage()) for i in self.ids}
        self.round = 0
        self.in_flight: list[tuple[int, int, str, str, object]] = []  # (due round, seq, from, to, message)
        self._seq = 0
        self.leaders: dict[int, str] = {}  # term -> the one leader of that term
        self.committed: dict[int, tuple[int, bytes]] = {}  # index -> (term, data) once anyone applied it
        self.digests: dict[int, bytes] = {}  # index -> state digest after applying it
        self.proposed = 0
        self.max_commit_seen = 0
        self._last_view: dict[str, tuple[Role, int, int]] = {}
        self._groups: dict[str, int] = {}  # node -> side of the current partition (empty: none)
        self._partition_ends = 0

    def _boot(self, node_id: str, storage: MemoryStorage) -> SimNode:
        state = storage.load()
        core = RaftCore(node_id, self.ids, self.config, random.Random(self.rng.random()), state)
        node = SimNode(node_id, core, storage)
        if state.snapshot is not None:
            node.applied_index = state.snapshot.index
            node.state = state.snapshot.data
        return node

    # ----- the scheduler -----

    def run(self, rounds: int, *, propose_every: int = 3, chaos: bool = True) -> None:
        for _ in range(rounds):
            self.step_round(propose_every=propose_every, chaos=chaos)

    def step_round(self, *, propose_every: int = 3, chaos: bool = True) -> None:
        self.round += 1
        if chaos:
            self._crashes_and_restarts()
            self._partitions()
        order = list(self.ids)
        self.rng.shuffle(order)
        for node_id in order:
            node = self.nodes[node_id]
            if node.alive:
                node.core.tick()
                self._process(node)
        due = [m for m in self.in_flight if m[0] <= self.round]
        self.in_flight = [m for m in self.in_flight if m[0] > self.round]
        self.rng.shuffle(due)
        for _, _, sender, to, message in due:
            node = self.nodes[to]
            if node.alive:
                node.core.step(sender, message)
                self._process(node)
        if propose_every and self.round % propose_every == 0:
            self.propose()

    def propose(self) -> bool:
        leaders = [n for n in self.nodes.values() if n.alive and n.core.role is Role.LEADER]
        if not leaders:
            return False
        node = self.rng.choice(leaders)
        self.proposed += 1
        node.core.propose(raft_pb2.RAFT_ENTRY_BLOCK, b"v%d" % self.proposed)
        self._process(node)
        return True

    def _crashes_and_restarts(self) -> None:
        for node_id in self.ids:
            node = self.nodes[node_id]
            if node.alive and self.rng.random() < self.faults.crash:
                alive = sum(1 for n in self.nodes.values() if n.alive)
                if alive > 1:
                    node.alive = False
            elif not node.alive and self.rng.random() < self.faults.restart:
                self.nodes[node_id] = self._boot(node_id, node.storage)

    def _partitions(self) -> None:
        if self._groups and self.round >= self._partition_ends:
            self._groups = {}
        elif not self._groups and self.rng.random() < self.faults.partition:
            self._groups = {node_id: self.rng.randrange(2) for node_id in self.ids}
            self._partition_ends = self.round + self.rng.randint(10, 80)

    def heal(self) -> None:
        """No more faults; every node up."""
        self.faults = Faults(loss=0.0, duplicate=0.0, max_delay=1, crash=0.0, restart=0.0, partition=0.0)
        self._groups = {}
        for node_id, node in list(self.nodes.items()):
            if not node.alive:
                self.nodes[node_id] = self._boot(node_id, node.storage)

    # ----- a node's Ready, the way the orderer's driver handles it -----

    def _process(self, node: SimNode) -> None:
        while node.core.has_ready():
            ready = node.core.ready()
            node.storage.save(ready)
            for to, message in ready.messages:
                self._send(node.id, to, message)
            if ready.received_snapshot is not None:
                node.applied_index = ready.received_snapshot.index
                node.state = ready.received_snapshot.data
                self._check_digest(node)
            for entry in ready.committed:
                self._apply(node, entry)
            if self.snapshot_every and node.applied_index - (node.core.snapshot.index if node.core.snapshot
                                                             else 0) >= self.snapshot_every:
                node.core.compact(node.applied_index, node.state)
        self._check(node)

    def _send(self, sender: str, to: str, message: object) -> None:
        if self.rng.random() < self.faults.loss or self._groups.get(sender) != self._groups.get(to):
            return
        copies = 2 if self.rng.random() < self.faults.duplicate else 1
        for _ in range(copies):
            self._seq += 1
            clone = type(message)()
            clone.CopyFrom(message)
            self.in_flight.append((self.round + self.rng.randint(0, self.faults.max_delay), self._seq, sender, to,
                                   clone))

    def _apply(self, node: SimNode, entry: raft_pb2.RaftEntry) -> None:
        if entry.index != node.applied_index + 1:
            raise SafetyViolation(f"{node.id} applies {entry.index} after {node.applied_index}")
        seen = self.committed.setdefault(entry.index, (entry.term, entry.data))
        if seen != (entry.term, entry.data):
            raise SafetyViolation(f"state machine safety: index {entry.index} applied as {seen} and "
                                  f"{(entry.term, entry.data)}")
        node.applied_index = entry.index
        node.state = _digest(node.state, entry)
        self._check_digest(node)

    def _check_digest(self, node: SimNode) -> None:
        seen = self.digests.setdefault(node.applied_index, node.state)
        if seen != node.state:
            raise SafetyViolation(f"{node.id} diverged at {node.applied_index}")

    # ----- invariants -----

    def _check(self, node: SimNode) -> None:
        core = node.core
        previous = self._last_view.get(node.id)
        if core.role is Role.LEADER:
            leader = self.leaders.setdefault(core.term, node.id)
            if leader != node.id:
                raise SafetyViolation(f"election safety: {leader} and {node.id} both lead term {core.term}")
            if previous is None or previous[0] is not Role.LEADER or previous[1] != core.term:
                self._check_completeness(node)
            elif core.commit > previous[2] and core.log.term(core.commit) != core.term:
                raise SafetyViolation(f"{node.id} (term {core.term}) committed {core.commit} of term "
                                      f"{core.log.term(core.commit)} by counting replicas")
        self.max_commit_seen = max(self.max_commit_seen, core.commit)
        self._last_view[node.id] = (core.role, core.term, core.commit)

    def _check_completeness(self, leader: SimNode) -> None:
        """Leader completeness: a new leader holds every entry committed so far (those it did not compact)."""
        log = leader.core.log
        for index, (term, data) in self.committed.items():
            if index <= log.offset_index:
                continue
            if index > log.last_index or log.entry(index).term != term or log.entry(index).data != data:
                raise SafetyViolation(f"leader completeness: {leader.id} leads term {leader.core.term} without "
                                      f"committed entry {index}")

    def check_log_matching(self) -> None:
        """If two logs hold an entry with the same index and term, they are identical up to it."""
        alive = [n for n in self.nodes.values()]
        for position, a in enumerate(alive):
            for b in alive[position + 1:]:
                la, lb = a.core.log, b.core.log
                low = max(la.first_index, lb.first_index)
                high = min(la.last_index, lb.last_index)
                matched = False
                for index in range(high, low - 1, -1):
                    ea, eb = la.entry(index), lb.entry(index)
                    if matched or ea.term == eb.term:
                        matched = True
                        if ea.term != eb.term or ea.data != eb.data:
                            raise SafetyViolation(f"log matching: {a.id} and {b.id} differ at {index} below a "
                                                  "matching entry")

    def converged(self) -> bool:
        indexes = {n.applied_index for n in self.nodes.values()}
        return len(indexes) == 1 and all(n.core.commit == n.applied_index for n in self.nodes.values())
