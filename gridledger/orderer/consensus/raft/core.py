"""The Raft state machine of one node: pure, deterministic, no clock, no I/O.

Time enters as `tick()`, the network as `step(sender, message)`, the application as `propose(...)`. What must
happen as a result comes out of `ready()`: state and entries to persist, messages to send, committed entries to
apply. The driver (consenter.py in the orderer, the simulator in the tests) must, for every Ready, first persist
(fsync) its hard state, snapshot and entries, then send its messages, then apply its committed entries. That order
is what makes it safe to count our own entries towards a commit and to acknowledge entries to a leader: nothing
leaves this node before it is durable. Because all randomness comes from the `random.Random` passed in, a
simulation with a seeded scheduler replays exactly.

The protocol is Raft as in Ongaro's thesis, with the refinements production implementations use:
- pre-vote (thesis 9.6): a would-be candidate first asks whether it could win, without raising terms, so a node
  that was cut off does not depose a working leader when it returns;
- check quorum: a leader that has not heard from a majority for an election timeout steps down, so clients of a
  minority partition are told "no leader" instead of waiting forever; followers that heard from a leader within
  the election timeout ignore vote requests (leader lease);
- a new leader appends a no-op entry of its own term, because only entries of the current term are committed by
  counting replicas (thesis 3.6.2); earlier entries commit with it;
- per-follower flow control: probe one message at a time until the follower's log matches, then pipeline up to
  `max_inflight` messages; a follower whose next entry was compacted gets the snapshot instead.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from gridledger.orderer.consensus.raft.log import RaftLog
from gridledger.v1 import raft_pb2

Message = (raft_pb2.RaftRequestVote | raft_pb2.RaftVoteResponse | raft_pb2.RaftAppendEntries
           | raft_pb2.RaftAppendResponse | raft_pb2.RaftInstallSnapshot)
MESSAGE_TYPES = (raft_pb2.RaftRequestVote, raft_pb2.RaftVoteResponse, raft_pb2.RaftAppendEntries,
                 raft_pb2.RaftAppendResponse, raft_pb2.RaftInstallSnapshot)


class Role(StrEnum):
    FOLLOWER = "follower"
    PRE_CANDIDATE = "pre-candidate"
    CANDIDATE = "candidate"
    LEADER = "leader"


class NotLeaderError(Exception):
    """A proposal on a node that is not the leader."""


@dataclass(frozen=True)
class CoreConfig:
    election_tick: int
    heartbeat_tick: int
    max_inflight: int = 32  # AppendEntries messages in flight to one follower while replicating
    max_message_bytes: int = 1024 * 1024  # entries per AppendEntries (at least one is always sent)
    catchup_entries: int = 8  # entries kept before a snapshot so a follower just behind need not install it
    pre_vote: bool = True
    check_quorum: bool = True

    def __post_init__(self) -> None:
        if self.heartbeat_tick < 1:
            raise ValueError(f"heartbeat_tick must be at least 1, got {self.heartbeat_tick}")
        if self.election_tick <= self.heartbeat_tick:
            raise ValueError(f"election_tick ({self.election_tick}) must be greater than heartbeat_tick "
                             f"({self.heartbeat_tick})")


@dataclass
class PersistentState:
    """What a node reads back from its storage at start."""

    hard_state: raft_pb2.RaftHardState = field(default_factory=raft_pb2.RaftHardState)
    snapshot: raft_pb2.RaftSnapshot | None = None
    offset_index: int = 0
    offset_term: int = 0
    entries: list[raft_pb2.RaftEntry] = field(default_factory=list)


class _Flow(StrEnum):
    PROBE = "probe"
    REPLICATE = "replicate"
    SNAPSHOT = "snapshot"


@dataclass
class Progress:
    """The leader's view of one follower."""

    next: int
    match: int = 0
    flow: _Flow = _Flow.PROBE
    probe_sent: bool = False
    inflight: deque[int] = field(default_factory=deque)  # last index of every AppendEntries in flight
    snapshot_index: int = 0
    snapshot_ticks: int = 0
    recent_active: bool = False

    def probe(self) -> None:
        self.flow = _Flow.PROBE
        self.next = self.match + 1
        self.probe_sent = False
        self.inflight.clear()


@dataclass
class Ready:
    """One batch of work for the driver, in this order: persist, send, apply."""

    hard_state: raft_pb2.RaftHardState | None = None  # changed since the last Ready
    received_snapshot: raft_pb2.RaftSnapshot | None = None  # from the leader: replaces the whole log
    new_snapshot: raft_pb2.RaftSnapshot | None = None  # taken locally (compact())
    compacted: tuple[int, int] | None = None  # new (offset_index, offset_term) after a local compaction
    entries: list[raft_pb2.RaftEntry] = field(default_factory=list)  # replace the stored log from entries[0] on
    messages: list[tuple[str, Message]] = field(default_factory=list)
    committed: list[raft_pb2.RaftEntry] = field(default_factory=list)


class RaftCore:
    """One node's Raft state. Every method runs to completion without waiting; none touches disk or network."""

    def __init__(self, node_id: str, members: list[str], config: CoreConfig, rng: random.Random,
                 state: PersistentState | None = None) -> None:
        if node_id not in members:
            raise ValueError(f"{node_id!r} is not one of the raft members {members}")
        if len(set(members)) != len(members):
            raise ValueError(f"raft members must be distinct, got {members}")
        state = state or PersistentState()
        self.id = node_id
        self.members = list(members)
        self.peers = [m for m in members if m != node_id]
        self.config = config
        self._rng = rng
        self.term = state.hard_state.term
        self.vote: str | None = state.hard_state.vote or None
        self.log = RaftLog(state.offset_index, state.offset_term, state.entries)
        self.snapshot = state.snapshot
        base = state.snapshot.index if state.snapshot is not None else state.offset_index
        self.commit = max(state.hard_state.commit, base)
        if self.commit > self.log.last_index:
            raise ValueError(f"stored commit index {self.commit} is beyond the stored log ({self.log.last_index})")
        self.applied = base  # committed entries up to here were handed out by ready()
        self.role = Role.FOLLOWER
        self.leader: str | None = None
        self.progress: dict[str, Progress] = {}
        self._votes: dict[str, bool] = {}
        self._election_elapsed = 0
        self._heartbeat_elapsed = 0
        self._timeout = self._random_timeout()
        self._unstable_from = self.log.last_index + 1
        self._outbox: list[tuple[str, Message]] = []
        self._saved = self._hard_state()
        self._received_snapshot: raft_pb2.RaftSnapshot | None = None
        self._new_snapshot: raft_pb2.RaftSnapshot | None = None
        self._compacted: tuple[int, int] | None = None

    # ----- inputs -----

    @property
    def quorum(self) -> int:
        return len(self.members) // 2 + 1

    def tick(self) -> None:
        """One unit of logical time (tick_interval_ms in the orderer)."""
        if self.role is Role.LEADER:
            self._tick_leader()
            return
        self._election_elapsed += 1
        if self._election_elapsed >= self._timeout:
            self._election_elapsed = 0
            self._campaign(pre_vote=self.config.pre_vote)

    def propose(self, entry_type: int, data: bytes) -> int:
        """Append an entry to the leader's log; returns its index. Raises NotLeaderError elsewhere."""
        if self.role is not Role.LEADER:
            raise NotLeaderError(f"{self.id} is not the leader (leader: {self.leader})")
        index = self.log.last_index + 1
        self.log.append([raft_pb2.RaftEntry(index=index, term=self.term, type=entry_type, data=data)])
        if not self._maybe_commit():
            for peer in self.peers:
                self._send_append(peer)
        return index

    def step(self, sender: str, message: Message) -> None:
        """Handle one message from `sender`, which the transport authenticated as a member."""
        if sender == self.id or sender not in self.members:
            return
        if message.term > self.term:
            if isinstance(message, raft_pb2.RaftRequestVote):
                if self._in_lease():
                    return  # we heard from a live leader recently: this candidate would only disrupt it
                if not message.pre_vote:
                    self._become_follower(message.term, None)
            elif isinstance(message, raft_pb2.RaftVoteResponse) and message.pre_vote and message.granted:
                pass  # a granted pre-vote carries the term we would campaign at, not the voter's
            else:
                leader = sender if isinstance(message, raft_pb2.RaftAppendEntries | raft_pb2.RaftInstallSnapshot) \
                    else None
                self._become_follower(message.term, leader)
        elif message.term < self.term:
            if isinstance(message, raft_pb2.RaftAppendEntries | raft_pb2.RaftInstallSnapshot):
                # A deposed leader that does not know it yet (it may be unable to learn otherwise when pre-vote
                # keeps the others at its term): our higher term makes it step down.
                self._send(sender, raft_pb2.RaftAppendResponse(term=self.term, success=False))
            elif isinstance(message, raft_pb2.RaftRequestVote) and message.pre_vote:
                self._send(sender, raft_pb2.RaftVoteResponse(term=self.term, granted=False, pre_vote=True))
            return

        if isinstance(message, raft_pb2.RaftRequestVote):
            self._handle_vote_request(sender, message)
        elif isinstance(message, raft_pb2.RaftVoteResponse):
            self._handle_vote_response(sender, message)
        elif isinstance(message, raft_pb2.RaftAppendEntries):
            if self._follow(sender):
                self._handle_append(sender, message)
        elif isinstance(message, raft_pb2.RaftInstallSnapshot):
            if self._follow(sender):
                self._handle_snapshot(sender, message)
        elif isinstance(message, raft_pb2.RaftAppendResponse) and self.role is Role.LEADER:
            self._handle_append_response(sender, message)

    def compact(self, index: int, data: bytes) -> raft_pb2.RaftSnapshot:
        """Take a snapshot at applied entry `index` whose application state is `data`, and drop the log up to
        `catchup_entries` before it."""
        if not self.log.offset_index < index <= self.applied:
            raise ValueError(f"cannot snapshot at {index}: applied is {self.applied}, log starts at "
                             f"{self.log.first_index}")
        term = self.log.term(index)
        assert term is not None
        snapshot = raft_pb2.RaftSnapshot(index=index, term=term, data=data)
        self.snapshot = self._new_snapshot = snapshot
        keep_from = max(self.log.offset_index, index - self.config.catchup_entries)
        if keep_from > self.log.offset_index:
            self.log.compact(keep_from)
            self._compacted = (self.log.offset_index, self.log.offset_term)
        return snapshot

    # ----- output -----

    def has_ready(self) -> bool:
        return bool(self._outbox or self._received_snapshot is not None or self._new_snapshot is not None
                    or self._compacted is not None or self._unstable_from <= self.log.last_index
                    or self.commit > self.applied or self._hard_state() != self._saved)

    def ready(self) -> Ready:
        """Everything that happened since the last call; the caller must persist, send and apply it in order."""
        ready = Ready(received_snapshot=self._received_snapshot, new_snapshot=self._new_snapshot,
                      compacted=self._compacted, messages=self._outbox)
        hard_state = self._hard_state()
        if hard_state != self._saved:
            ready.hard_state = hard_state
            self._saved = hard_state
        if self._unstable_from <= self.log.last_index:
            ready.entries = self.log.entries(self._unstable_from)
        if self.commit > self.applied:
            ready.committed = self.log.entries(self.applied + 1, self.commit + 1)
            self.applied = self.commit
        self._unstable_from = self.log.last_index + 1
        self._outbox = []
        self._received_snapshot = self._new_snapshot = None
        self._compacted = None
        return ready

    # ----- roles -----

    def _hard_state(self) -> raft_pb2.RaftHardState:
        return raft_pb2.RaftHardState(term=self.term, vote=self.vote or "", commit=self.commit)

    def _random_timeout(self) -> int:
        return self.config.election_tick + self._rng.randrange(self.config.election_tick)

    def _reset(self, term: int) -> None:
        if term != self.term:
            self.term = term
            self.vote = None
        self.leader = None
        self._election_elapsed = 0
        self._heartbeat_elapsed = 0
        self._timeout = self._random_timeout()
        self._votes = {}
        self.progress = {}

    def _become_follower(self, term: int, leader: str | None) -> None:
        self._reset(term)
        self.role = Role.FOLLOWER
        self.leader = leader

    def _follow(self, leader: str) -> bool:
        """A message from the leader of our term: make sure we follow it. False for a second leader in one term,
        which Raft rules out; the message is dropped rather than trusted."""
        if self.role is Role.LEADER:
            return False
        if self.role is not Role.FOLLOWER or self.leader != leader:
            if self.role is Role.FOLLOWER and self.leader is not None:
                return False
            self._become_follower(self.term, leader)
        self._election_elapsed = 0
        return True

    def _in_lease(self) -> bool:
        return (self.config.check_quorum and self.leader is not None
                and self._election_elapsed < self.config.election_tick)

    def _campaign(self, pre_vote: bool) -> None:
        if pre_vote:
            self._reset(self.term)
            self.role = Role.PRE_CANDIDATE
            term = self.term + 1
        else:
            self._reset(self.term + 1)
            self.role = Role.CANDIDATE
            self.vote = self.id
            term = self.term
        self._votes = {self.id: True}
        if self._tally() >= self.quorum:  # a single-node cluster
            self._won(pre_vote)
            return
        for peer in self.peers:
            self._send(peer, raft_pb2.RaftRequestVote(term=term, last_log_index=self.log.last_index,
                                                       last_log_term=self.log.last_term, pre_vote=pre_vote))

    def _tally(self) -> int:
        return sum(1 for granted in self._votes.values() if granted)

    def _won(self, pre_vote: bool) -> None:
        if pre_vote:
            self._campaign(pre_vote=False)
        else:
            self._become_leader()

    def _become_leader(self) -> None:
        self._reset(self.term)
        self.role = Role.LEADER
        self.leader = self.id
        last = self.log.last_index
        self.progress = {peer: Progress(next=last + 1) for peer in self.peers}
        # Entries of earlier terms cannot be committed by counting replicas; a no-op of our own term can, and
        # commits everything before it.
        self.propose(raft_pb2.RAFT_ENTRY_NOOP, b"")

    # ----- elections -----

    def _handle_vote_request(self, sender: str, message: raft_pb2.RaftRequestVote) -> None:
        if message.pre_vote:
            can_vote = message.term > self.term or self.vote == sender or (self.vote is None and self.leader is None)
        else:
            can_vote = self.vote == sender or (self.vote is None and self.leader is None)
        granted = can_vote and self.log.is_up_to_date(message.last_log_index, message.last_log_term)
        if granted and not message.pre_vote:
            self.vote = sender
            self._election_elapsed = 0
        term = message.term if granted and message.pre_vote else self.term
        self._send(sender, raft_pb2.RaftVoteResponse(term=term, granted=granted, pre_vote=message.pre_vote))

    def _handle_vote_response(self, sender: str, message: raft_pb2.RaftVoteResponse) -> None:
        if message.pre_vote:
            if self.role is not Role.PRE_CANDIDATE:
                return
            if message.granted and message.term != self.term + 1:
                return  # an answer to an older pre-vote round
        elif self.role is not Role.CANDIDATE:
            return
        self._votes.setdefault(sender, message.granted)
        if self._tally() >= self.quorum:
            self._won(message.pre_vote)
        elif len(self._votes) - self._tally() >= self.quorum:
            self._become_follower(self.term, None)

    # ----- replication, follower side -----

    def _handle_append(self, leader: str, message: raft_pb2.RaftAppendEntries) -> None:
        if message.prev_log_index < self.commit:
            # Everything up to our commit index matches the leader's log (Raft's leader completeness).
            self._send(leader, raft_pb2.RaftAppendResponse(term=self.term, success=True, match_index=self.commit))
            return
        if self.log.term(message.prev_log_index) != message.prev_log_term:
            hint = min(message.prev_log_index, self.log.last_index)
            while hint > self.log.offset_index and (self.log.term(hint) or 0) > message.prev_log_term:
                hint -= 1
            self._send(leader, raft_pb2.RaftAppendResponse(term=self.term, success=False,
                                                           rejected_index=message.prev_log_index,
                                                           hint_index=hint))
            return
        entries = message.entries
        for position, entry in enumerate(entries):
            if self.log.term(entry.index) != entry.term:
                if entry.index <= self.commit:
                    raise AssertionError(f"{self.id}: leader {leader} would overwrite committed entry {entry.index}")
                self.log.append(list(entries[position:]))
                self._unstable_from = min(self._unstable_from, entry.index)
                break
        last_new = message.prev_log_index + len(entries)
        self._commit_to(min(message.leader_commit, last_new))
        self._send(leader, raft_pb2.RaftAppendResponse(term=self.term, success=True, match_index=last_new))

    def _handle_snapshot(self, leader: str, message: raft_pb2.RaftInstallSnapshot) -> None:
        snapshot = message.snapshot
        if snapshot.index <= self.commit:
            self._send(leader, raft_pb2.RaftAppendResponse(term=self.term, success=True, match_index=self.commit))
            return
        if self.log.term(snapshot.index) == snapshot.term:
            self._commit_to(snapshot.index)  # we hold the entries already; they just commit
        else:
            self.log.restore(snapshot.index, snapshot.term)
            self.snapshot = self._received_snapshot = snapshot
            self.commit = self.applied = snapshot.index
            self._unstable_from = snapshot.index + 1
            self._new_snapshot = None
            self._compacted = None
        self._send(leader, raft_pb2.RaftAppendResponse(term=self.term, success=True, match_index=snapshot.index))

    def _commit_to(self, index: int) -> None:
        if index > self.commit:
            self.commit = index

    # ----- replication, leader side -----

    def _tick_leader(self) -> None:
        self._election_elapsed += 1
        self._heartbeat_elapsed += 1
        if self._election_elapsed >= self.config.election_tick:
            self._election_elapsed = 0
            if self.config.check_quorum:
                active = 1 + sum(1 for pr in self.progress.values() if pr.recent_active)
                if active < self.quorum:
                    self._become_follower(self.term, None)
                    return
                for pr in self.progress.values():
                    pr.recent_active = False
        if self._heartbeat_elapsed >= self.config.heartbeat_tick:
            self._heartbeat_elapsed = 0
            for peer, pr in self.progress.items():
                if pr.flow is _Flow.SNAPSHOT:
                    pr.snapshot_ticks += self.config.heartbeat_tick
                    if pr.snapshot_ticks >= self.config.election_tick:
                        pr.probe()  # the snapshot or its answer was lost: start over
                if pr.flow is _Flow.PROBE:
                    pr.probe_sent = False
                    self._send_append(peer)
                elif pr.flow is _Flow.REPLICATE:
                    self._send_append(peer, heartbeat=True)

    def _send_append(self, peer: str, heartbeat: bool = False) -> None:
        pr = self.progress[peer]
        if pr.flow is _Flow.SNAPSHOT:
            return
        if not heartbeat:
            if pr.flow is _Flow.PROBE and pr.probe_sent:
                return
            if pr.flow is _Flow.REPLICATE and (len(pr.inflight) >= self.config.max_inflight
                                               or pr.next > self.log.last_index):
                return
        prev = pr.next - 1
        prev_term = self.log.term(prev)
        if prev_term is None:  # the follower needs entries we compacted
            self._send_snapshot(peer, pr)
            return
        entries = [] if heartbeat else self.log.entries(pr.next, max_bytes=self.config.max_message_bytes)
        self._send(peer, raft_pb2.RaftAppendEntries(term=self.term, prev_log_index=prev, prev_log_term=prev_term,
                                                    entries=entries, leader_commit=self.commit))
        if heartbeat:
            return
        if pr.flow is _Flow.REPLICATE and entries:
            pr.next = entries[-1].index + 1
            pr.inflight.append(entries[-1].index)
        elif pr.flow is _Flow.PROBE:
            pr.probe_sent = True

    def _send_snapshot(self, peer: str, pr: Progress) -> None:
        if self.snapshot is None:
            raise AssertionError(f"{self.id}: the log was compacted to {self.log.offset_index} without a snapshot")
        self._send(peer, raft_pb2.RaftInstallSnapshot(term=self.term, snapshot=self.snapshot))
        pr.flow = _Flow.SNAPSHOT
        pr.snapshot_index = self.snapshot.index
        pr.snapshot_ticks = 0
        pr.inflight.clear()

    def _handle_append_response(self, peer: str, message: raft_pb2.RaftAppendResponse) -> None:
        pr = self.progress[peer]
        pr.recent_active = True
        if message.success:
            advanced = message.match_index > pr.match
            if advanced:
                pr.match = message.match_index
            pr.next = max(pr.next, pr.match + 1)
            while pr.inflight and pr.inflight[0] <= pr.match:
                pr.inflight.popleft()
            if pr.flow is _Flow.SNAPSHOT:
                if pr.match < pr.snapshot_index:
                    return
                pr.probe()
            if pr.flow is _Flow.PROBE:
                pr.flow = _Flow.REPLICATE
                pr.next = pr.match + 1
                pr.inflight.clear()
            if advanced and self._maybe_commit():
                return  # _maybe_commit sent appends to everyone
            self._send_append(peer)
            return
        if pr.flow is _Flow.REPLICATE:
            if message.rejected_index <= pr.match:
                return  # stale: we know the follower matches further than that
        elif pr.flow is _Flow.PROBE:
            if message.rejected_index != pr.next - 1:
                return  # an answer to an earlier probe
        else:
            return
        pr.probe()
        pr.next = max(pr.match + 1, min(message.rejected_index, message.hint_index + 1))
        self._send_append(peer)

    def _maybe_commit(self) -> bool:
        """Advance the commit index to what a quorum has; only an entry of our own term can be committed this
        way (thesis 3.6.2). On success tell every follower right away so they apply without waiting for a
        heartbeat."""
        matches = sorted([self.log.last_index, *(pr.match for pr in self.progress.values())], reverse=True)
        candidate = matches[self.quorum - 1]
        if candidate <= self.commit or self.log.term(candidate) != self.term:
            return False
        self.commit = candidate
        for peer in self.peers:
            pr = self.progress[peer]
            if pr.flow is _Flow.REPLICATE and pr.next > self.log.last_index:
                self._send_append(peer, heartbeat=True)
            else:
                self._send_append(peer)
        return True

    def _send(self, to: str, message: Message) -> None:
        self._outbox.append((to, message))

    # ----- status -----

    def status(self) -> dict[str, object]:
        return {"id": self.id, "role": self.role.value, "term": self.term, "leader": self.leader,
                "commit": self.commit, "applied": self.applied, "last_index": self.log.last_index,
                "first_index": self.log.first_index}
