"""Per-node raft metrics on the orderer's /metrics: consensus term, leader changes and commit latency.

Values that live in the state machine (term, commit index) are read at scrape time, so the raft loop never
updates a metric on its hot path; events (leader changes, snapshots, proposal latencies) are counted as they happen.
Proposal latency is the time from the leader proposing a block to its commit, exposed as a sum and a count (their
ratio over a window is the mean) plus the latest value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from gridledger.common.metrics import Registry


class RaftMetrics:
    def __init__(self, registry: Registry, members: Sequence[str], *, term: Callable[[], float],
                 commit: Callable[[], float], applied: Callable[[], float], is_leader: Callable[[], float],
                 dropped: Callable[[], float]) -> None:
        registry.gauge("gridledger_raft_term", "Current raft term of this node", function=term)
        self._leader = registry.gauge("gridledger_raft_leader",
                                      "1 for the consenter this node knows as the leader, 0 for the others",
                                      ("consenter",))
        for member in members:
            self._leader.set(0, consenter=member)
        registry.gauge("gridledger_raft_is_leader", "1 while this node is the raft leader", function=is_leader)
        registry.gauge("gridledger_raft_commit_index", "Highest raft log index known to be committed",
                       function=commit)
        registry.gauge("gridledger_raft_applied_index", "Highest raft log index applied to the chain",
                       function=applied)
        self.leader_changes = registry.counter("gridledger_raft_leader_changes_total",
                                               "Times this node learned of a new leader")
        self._latency_sum = registry.counter("gridledger_raft_proposal_latency_seconds_sum",
                                             "Sum of leader proposal-to-commit times of blocks")
        self._latency_count = registry.counter("gridledger_raft_proposal_latency_seconds_count",
                                               "Blocks whose proposal-to-commit time was observed")
        self._latency_last = registry.gauge("gridledger_raft_proposal_latency_seconds",
                                            "Proposal-to-commit time of the latest committed block")
        self.snapshots = registry.counter("gridledger_raft_snapshots_total", "Raft snapshots taken or installed")
        registry.counter("gridledger_raft_dropped_messages_total",
                         "Cluster messages dropped because a peer's stream was down or full", function=dropped)

    def leader_changed(self, old: str | None, new: str | None) -> None:
        if old is not None:
            self._leader.set(0, consenter=old)
        if new is not None:
            self._leader.set(1, consenter=new)
            self.leader_changes.inc()

    def observe_latency(self, seconds: float) -> None:
        self._latency_sum.inc(seconds)
        self._latency_count.inc()
        self._latency_last.set(seconds)
