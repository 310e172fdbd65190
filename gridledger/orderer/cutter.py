"""The block cutter shared by every consensus type: decides where one block ends and the next begins.

It follows Fabric's rules so that block-cutting experiments mean the same thing here as there:
- a batch is cut when it reaches `max_message_count` envelopes;
- a message that would push the pending batch past `preferred_max_bytes` first cuts the pending batch;
- a message larger than `preferred_max_bytes` on its own is put in a batch by itself (after cutting what was
  pending), so one big transaction never drags small ones past the preferred size;
- `cut()` is called by the consenter's batch timer (`batch_timeout_ms` after the first message of a pending batch).
`absolute_max_bytes` is enforced earlier, when an envelope is accepted for ordering; the cutter only sizes batches.

The cutter is pure (no clock, no I/O): the timer lives with the consenter loop, which makes the rules unit-testable
and lets raft and bft drive the same object from their own event sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.v1 import config_pb2

Batch = list[bytes]


@dataclass(frozen=True)
class BatchLimits:
    """The batch settings from the channel config, checked once (a zero count would cut empty blocks forever)."""

    max_message_count: int
    preferred_max_bytes: int
    absolute_max_bytes: int
    batch_timeout_ms: int

    def __post_init__(self) -> None:
        for name in ("max_message_count", "preferred_max_bytes", "absolute_max_bytes", "batch_timeout_ms"):
            if getattr(self, name) <= 0:
                raise ValueError(f"batch setting {name} must be positive, got {getattr(self, name)}")

    @classmethod
    def from_config(cls, batch: config_pb2.BatchConfig) -> BatchLimits:
        return cls(batch.max_message_count, batch.preferred_max_bytes, batch.absolute_max_bytes,
                   batch.batch_timeout_ms)

    @property
    def batch_timeout_s(self) -> float:
        return self.batch_timeout_ms / 1000.0


class BlockCutter:
    """Accumulates envelopes into batches; returns each batch as soon as the rules say it is complete."""

    def __init__(self, limits: BatchLimits) -> None:
        self._limits = limits
        self._pending: Batch = []
        self._pending_bytes = 0

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    def ordered(self, envelope: bytes) -> list[Batch]:
        """Add one envelope; return the batches (zero, one or two) that must be cut now, oldest first."""
        size = len(envelope)
        batches: list[Batch] = []
        if size > self._limits.preferred_max_bytes:
            if self._pending:
                batches.append(self.cut())
            batches.append([envelope])
            return batches
        if self._pending and self._pending_bytes + size > self._limits.preferred_max_bytes:
            batches.append(self.cut())
        self._pending.append(envelope)
        self._pending_bytes += size
        if len(self._pending) >= self._limits.max_message_count:
            batches.append(self.cut())
        return batches

    def cut(self) -> Batch:
        """Return what is pending as a batch (possibly empty) and start a new one."""
        batch, self._pending, self._pending_bytes = self._pending, [], 0
        return batch
