"""The durable raft state of one node: hard state (term, vote, commit), the log, the latest snapshot.

One LevelDB per channel next to the chain store (<data_dir>/raft/<channel>). Every `save` is a single write batch
written with sync=True, i.e. fsync'd before it returns: LevelDB's own write-ahead log gives us atomicity (a crash
leaves either all of a Ready or none of it) and the sync gives durability, which is what Raft requires before a
vote is cast or an entry acknowledged. The core never sees a Ready's messages leave before `save` returned.

Key layout (numbers are 8 bytes big-endian, so LevelDB's order is log order):
    b"h"          RaftHardState
    b"n"          RaftSnapshot, the latest one
    b"o"          offset: index and term of the last compacted entry (16 bytes)
    b"e" + index  RaftEntry
"""

from __future__ import annotations

from pathlib import Path

from gridledger.common.leveldb import open_db
from gridledger.orderer.consensus.raft.core import PersistentState, Ready
from gridledger.v1 import raft_pb2

_HARD_STATE = b"h"
_SNAPSHOT = b"n"
_OFFSET = b"o"
_ENTRY = b"e"


class RaftStorageError(ValueError):
    """The raft state cannot be opened or is inconsistent; the message says what to do."""


def _entry_key(index: int) -> bytes:
    return _ENTRY + index.to_bytes(8, "big")


class RaftStorage:
    """Loads the state at start and persists every Ready; used from one thread at a time."""

    def __init__(self, path: Path) -> None:
        self._db = open_db(path, "the raft state", RaftStorageError)
        self._path = path
        self._offset = 0
        self._last = 0

    def load(self) -> PersistentState:
        """Read everything back and check it fits together (contiguous log after the offset)."""
        state = PersistentState()
        try:
            raw = self._db.get(_HARD_STATE)
            if raw is not None:
                state.hard_state = raft_pb2.RaftHardState.FromString(raw)
            raw = self._db.get(_SNAPSHOT)
            if raw is not None:
                state.snapshot = raft_pb2.RaftSnapshot.FromString(raw)
            raw = self._db.get(_OFFSET)
            if raw is not None:
                state.offset_index = int.from_bytes(raw[:8], "big")
                state.offset_term = int.from_bytes(raw[8:16], "big")
            expected = state.offset_index + 1
            for key, value in self._db.iterator(prefix=_ENTRY):
                entry = raft_pb2.RaftEntry.FromString(value)
                if int.from_bytes(key[1:], "big") != expected or entry.index != expected:
                    raise RaftStorageError(f"the raft log in {self._path} has a gap or stray entry at "
                                           f"{int.from_bytes(key[1:], 'big')} (expected {expected})")
                state.entries.append(entry)
                expected += 1
        except RaftStorageError:
            raise
        except Exception as exc:  # DecodeError: bytes we did not write
            raise RaftStorageError(f"the raft state in {self._path} cannot be read: {exc}") from None
        if state.snapshot is not None and state.snapshot.index < state.offset_index:
            raise RaftStorageError(f"the raft state in {self._path} was compacted past its snapshot")
        self._offset = state.offset_index
        self._last = state.offset_index + len(state.entries)
        return state

    @staticmethod
    def needs_save(ready: Ready) -> bool:
        return bool(ready.hard_state is not None or ready.received_snapshot is not None
                    or ready.new_snapshot is not None or ready.compacted is not None or ready.entries)

    def save(self, ready: Ready) -> None:
        """Persist what `ready` changed in one fsync'd batch."""
        if not self.needs_save(ready):
            return
        offset, last = self._offset, self._last
        with self._db.write_batch(sync=True) as batch:
            if ready.received_snapshot is not None:
                snapshot = ready.received_snapshot
                for key in self._db.iterator(prefix=_ENTRY, include_value=False):
                    batch.delete(key)
                batch.put(_SNAPSHOT, snapshot.SerializeToString())
                batch.put(_OFFSET, snapshot.index.to_bytes(8, "big") + snapshot.term.to_bytes(8, "big"))
                offset = last = snapshot.index
            if ready.new_snapshot is not None:
                batch.put(_SNAPSHOT, ready.new_snapshot.SerializeToString())
            if ready.compacted is not None:
                index, term = ready.compacted
                for old in range(offset + 1, index + 1):
                    batch.delete(_entry_key(old))
                batch.put(_OFFSET, index.to_bytes(8, "big") + term.to_bytes(8, "big"))
                offset = index
            if ready.entries:
                new_last = ready.entries[-1].index
                for stale in range(new_last + 1, last + 1):  # a shorter log replaced a longer one
                    batch.delete(_entry_key(stale))
                for entry in ready.entries:
                    batch.put(_entry_key(entry.index), entry.SerializeToString())
                last = new_last
            if ready.hard_state is not None:
                batch.put(_HARD_STATE, ready.hard_state.SerializeToString())
        self._offset, self._last = offset, last

    def close(self) -> None:
        if not self._db.closed:
            self._db.close()
