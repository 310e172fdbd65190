"""The raft settings of a channel (ConsensusConfig.raft), checked once, with the defaults of deploy/networks.

A config that leaves a field at 0 (proto3's "unset") gets the default; a combination that cannot work (an
election timeout not longer than the heartbeat) is refused with a message naming the fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.v1 import config_pb2

DEFAULT_TICK_MS = 100
DEFAULT_ELECTION_TICK = 10
DEFAULT_HEARTBEAT_TICK = 1
DEFAULT_SNAPSHOT_INTERVAL_BLOCKS = 100


@dataclass(frozen=True)
class RaftSettings:
    tick_interval_ms: int
    election_tick: int
    heartbeat_tick: int
    snapshot_interval_blocks: int

    @classmethod
    def from_config(cls, options: config_pb2.RaftOptions) -> RaftSettings:
        settings = cls(options.tick_interval_ms or DEFAULT_TICK_MS, options.election_tick or DEFAULT_ELECTION_TICK,
                       options.heartbeat_tick or DEFAULT_HEARTBEAT_TICK,
                       options.snapshot_interval_blocks or DEFAULT_SNAPSHOT_INTERVAL_BLOCKS)
        if settings.election_tick <= settings.heartbeat_tick:
            raise ValueError(f"raft election_tick ({settings.election_tick}) must be greater than heartbeat_tick "
                             f"({settings.heartbeat_tick}) in the channel config")
        return settings

    @property
    def tick_s(self) -> float:
        return self.tick_interval_ms / 1000.0

    @property
    def max_election_timeout_s(self) -> float:
        """Election timeouts are drawn from [election_tick, 2 * election_tick) ticks."""
        return 2 * self.election_tick * self.tick_s
