"""One range query during simulation: merges committed state with the transaction's own writes and remembers
exactly which committed keys the chaincode's view depended on, for phantom detection at validation.

Validation re-runs [start, end) on committed state. If the chaincode stopped early (itr_exhausted false), only the
first len(reads) committed keys are compared, so `reads` must hold every committed key up to and including the one
that proved no other key came before the last item the chaincode saw. When that proof needed the end of the
committed range, the whole range is recorded as exhausted. Extra keys only make the check stricter, never unsound.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gridledger.v1 import rwset_pb2

_UNPULLED: Any = object()


class RangeScan:
    """Iterator of (key, value) for [start, end) of one namespace, as this transaction sees it."""

    def __init__(self, start: str, end: str, committed: Iterator[tuple[str, Any]],
                 own_writes: Mapping[str, bytes | None]) -> None:
        self.start = start
        self.end = end
        self._committed = committed
        self._head: Any = _UNPULLED  # next committed (key, versioned value), None at its end
        self._writes = sorted((key, value) for key, value in own_writes.items()
                              if key >= start and (not end or key < end))
        self._write_index = 0
        self._pulled: list[rwset_pb2.KVRead] = []
        self._committed_ended = False
        self._marks: list[tuple[int, bool]] = []  # per emitted item: (committed keys it depends on, needed the end)
        self._ended = False
        self._use: tuple[int, bool] | None = None  # (consumed, exhausted) as reported by finish()

    @property
    def ended(self) -> bool:
        """Every item has been produced."""
        return self._ended

    @property
    def emitted(self) -> int:
        return len(self._marks)

    def __iter__(self) -> RangeScan:
        return self

    def __next__(self) -> tuple[str, bytes]:
        item = self.next_item()
        if item is None:
            raise StopIteration
        return item

    def next_items(self, limit: int) -> list[tuple[str, bytes]]:
        """Up to `limit` further items (fewer only at the end)."""
        items = []
        while len(items) < limit:
            item = self.next_item()
            if item is None:
                break
            items.append(item)
        return items

    def next_item(self) -> tuple[str, bytes] | None:
        while not self._ended:
            if self._head is _UNPULLED:
                self._head = self._pull()
            head = self._head
            write = self._writes[self._write_index] if self._write_index < len(self._writes) else None
            if head is None and write is None:
                self._ended = True
                break
            if write is not None and (head is None or write[0] <= head[0]):
                self._write_index += 1
                if head is not None and head[0] == write[0]:
                    self._head = _UNPULLED  # our write shadows the committed value
                if write[1] is None:
                    continue  # deleted by this transaction
                self._marks.append((len(self._pulled), self._committed_ended))
                return write[0], write[1]
            self._head = _UNPULLED
            self._marks.append((len(self._pulled), False))
            return head[0], head[1].value
        return None

    def _pull(self) -> tuple[str, Any] | None:
        found = next(self._committed, None)
        if found is None:
            self._committed_ended = True
            return None
        key, versioned = found
        version = rwset_pb2.Version(block_num=versioned.block_num, tx_num=versioned.tx_num)
        self._pulled.append(rwset_pb2.KVRead(key=key, version=version))
        return found

    def close(self) -> None:
        """Release the committed-state iterator (a LevelDB iterator in the real ledger) early."""
        close = getattr(self._committed, "close", None)
        if close is not None:
            close()

    def finish(self, consumed: int, exhausted: bool) -> None:
        """Record how far the chaincode iterated (items it received; whether it reached the end)."""
        consumed = max(0, min(consumed, self.emitted))
        self._use = (consumed, exhausted and self._ended and consumed == self.emitted)

    def query_info(self) -> rwset_pb2.RangeQueryInfo:
        """What validation needs to re-check this range; without finish(), everything produced counts as seen."""
        consumed, exhausted = self._use if self._use is not None else (self.emitted, self._ended)
        if exhausted:
            reads = self._pulled
        elif consumed == 0:
            reads = []
        else:
            depends_on, needed_end = self._marks[consumed - 1]
            exhausted = needed_end
            reads = self._pulled if needed_end else self._pulled[:depends_on]
        return rwset_pb2.RangeQueryInfo(start_key=self.start, end_key=self.end, itr_exhausted=exhausted,
                                        raw_reads=rwset_pb2.RawReads(reads=reads))
