"""The in-memory raft log of one node: the entries after the last compaction point.

Entries are kept as `RaftEntry` messages so that the bytes replicated, persisted and applied are one object. The
log knows nothing about persistence or the network; `core.RaftCore` decides what to append and truncate, and the
storage mirrors it (see storage.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from gridledger.v1 import raft_pb2


class LogError(Exception):
    """A request that would break the log's invariants (a bug in the caller, never bad input from the network)."""


class RaftLog:
    """Entries `offset_index + 1 .. last_index`; `offset_index`/`offset_term` name the last compacted entry
    (0/0 for a log that was never compacted)."""

    def __init__(self, offset_index: int = 0, offset_term: int = 0,
                 entries: Sequence[raft_pb2.RaftEntry] = ()) -> None:
        self.offset_index = offset_index
        self.offset_term = offset_term
        self._entries: list[raft_pb2.RaftEntry] = list(entries)
        for position, entry in enumerate(self._entries):
            if entry.index != offset_index + 1 + position:
                raise LogError(f"entry {entry.index} is out of place: expected {offset_index + 1 + position}")

    @property
    def first_index(self) -> int:
        return self.offset_index + 1

    @property
    def last_index(self) -> int:
        return self.offset_index + len(self._entries)

    @property
    def last_term(self) -> int:
        return self._entries[-1].term if self._entries else self.offset_term

    def term(self, index: int) -> int | None:
        """The term of entry `index`; None when it was compacted away or does not exist yet."""
        if index == self.offset_index:
            return self.offset_term
        if self.offset_index < index <= self.last_index:
            return self._entries[index - self.offset_index - 1].term
        return None

    def entry(self, index: int) -> raft_pb2.RaftEntry:
        if not self.offset_index < index <= self.last_index:
            raise LogError(f"entry {index} is not in the log ({self.first_index}..{self.last_index})")
        return self._entries[index - self.offset_index - 1]

    def entries(self, start: int, stop: int | None = None, max_bytes: int | None = None) -> list[raft_pb2.RaftEntry]:
        """Entries `start .. stop-1` (to the end without `stop`); with `max_bytes`, as many as fit, at least one."""
        if start <= self.offset_index:
            raise LogError(f"entry {start} was compacted (log starts at {self.first_index})")
        lo = start - self.offset_index - 1
        hi = len(self._entries) if stop is None else min(len(self._entries), stop - self.offset_index - 1)
        if max_bytes is None:
            return self._entries[lo:hi]
        chosen: list[raft_pb2.RaftEntry] = []
        size = 0
        for entry in self._entries[lo:hi]:
            size += len(entry.data) + 32
            if chosen and size > max_bytes:
                break
            chosen.append(entry)
        return chosen

    def is_up_to_date(self, last_index: int, last_term: int) -> bool:
        """Raft's voting rule: a candidate's log is at least as up to date as ours."""
        return last_term > self.last_term or (last_term == self.last_term and last_index >= self.last_index)

    def append(self, entries: Sequence[raft_pb2.RaftEntry]) -> None:
        """Put `entries` (consecutive) at their indexes, dropping whatever the log held from the first one on."""
        if not entries:
            return
        first = entries[0].index
        if not self.offset_index < first <= self.last_index + 1:
            raise LogError(f"cannot append at {first}: the log holds {self.first_index}..{self.last_index}")
        del self._entries[first - self.offset_index - 1:]
        for position, entry in enumerate(entries):
            if entry.index != first + position:
                raise LogError(f"appended entries are not consecutive at {entry.index}")
            self._entries.append(entry)

    def compact(self, index: int) -> None:
        """Forget entries up to and including `index` (already covered by a snapshot)."""
        if index <= self.offset_index:
            return
        term = self.term(index)
        if term is None:
            raise LogError(f"cannot compact to {index}: the log ends at {self.last_index}")
        del self._entries[:index - self.offset_index]
        self.offset_index, self.offset_term = index, term

    def restore(self, index: int, term: int) -> None:
        """Start over from a snapshot at (`index`, `term`): an empty log after it."""
        self._entries = []
        self.offset_index, self.offset_term = index, term
