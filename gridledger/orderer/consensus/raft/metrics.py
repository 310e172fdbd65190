"""Per-node raft metrics on the orderer's /metrics: consensus term, leader, leader changes and proposal latency.

Values that live in the state machine (term, commit index) are read at scrape time, so the raft loop never
updates a metric on its hot path; events (leader changes, snapshots, proposal latencies) are counted as they happen.
Proposal latency is the time from the leader proposing a block to its commit, a histogram (one observation per
block), so its count is the number of blocks this node proposed and committed as leader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gridledger.common.metrics import NodeRegistry


class RaftMetrics:
    def __init__(self, registry: NodeRegistry, members: Sequence[str], *, term: Callable[[], float],
                 commit: Callable[[], float], applied: Callable[[], float], is_leader: Callable[[], float],
                 dropped: Callable[[], float]) -> None:
        registry.gauge("gridledger_raft_term", "Current raft term of this node", function=term)
        self._leader = registry.gauge("gridledger_raft_leader",
                                      "1 for the consenter this node knows as the leader, 0 for the others",
                                      ("consenter",))
        for member in members:
            self._leader.labels(member).set(0)
        registry.gauge("gridledger_raft_is_leader", "Whether this node is the raft leader (1) or not (0)",
                       function=is_leader)
        registry.gauge("gridledger_raft_commit_index", "Highest raft log index known to be committed",
                       function=commit)
        registry.gauge("gridledger_raft_applied_index", "Highest raft log index applied to the chain",
                       function=applied)
        self.leader_changes = registry.counter("gridledger_raft_leader_changes",
                                               "Times this node learned of a new leader")
        self._proposals = registry.histogram("gridledger_raft_proposal_duration_seconds",
                                             "Leader's time from proposing a block to its commit")
        self.snapshots = registry.counter("gridledger_raft_snapshots", "Raft snapshots taken or installed")
        registry.counter_function("gridledger_raft_dropped_messages_total",
                                  "Cluster messages dropped because a peer's stream was down or full", dropped)

    def leader_changed(self, old: str | None, new: str | None) -> None:
        if old is not None:
            self._leader.labels(old).set(0)
        if new is not None:
            self._leader.labels(new).set(1)
            self.leader_changes.inc()

    def observe_latency(self, seconds: float) -> None:
        self._proposals.observe(seconds)
