"""The request pool: every valid envelope this replica received and has not seen committed, deduplicated by txid.

The gateway sends each envelope to every orderer, so every honest replica's pool holds it: that is what lets a
follower notice a leader that leaves a request out (the request gets old), forward it, and then time the view out.
The leader cuts its next block from the oldest requests with the shared BlockCutter rules. Times are the core's
clock (seconds, from `tick`), never read here.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from gridledger.common import hashing
from gridledger.orderer.cutter import Batch, BatchLimits, BlockCutter


@dataclass
class Request:
    envelope: bytes
    digest: bytes
    arrived: float
    forwarded_view: int = -1  # the view this replica last forwarded it to the leader in
    forwarded_at: float = 0.0


class RequestPool:
    """Requests in arrival order; bounded, so a flood is refused rather than held in memory. It also remembers the
    txids committed lately, so a copy that arrives after its commit (a late client send, a follower's forward) is
    not ordered a second time."""

    def __init__(self, limits: BatchLimits, capacity: int, remembered: int = 100_000) -> None:
        self._limits = limits
        self._capacity = capacity
        self._requests: OrderedDict[str, Request] = OrderedDict()
        self._by_digest: dict[bytes, str] = {}
        self._committed: OrderedDict[str, None] = OrderedDict()
        self._remembered = remembered

    def __len__(self) -> int:
        return len(self._requests)

    def __contains__(self, txid: str) -> bool:
        return txid in self._requests

    @property
    def full(self) -> bool:
        return len(self._requests) >= self._capacity

    def add(self, txid: str, envelope: bytes, now: float) -> bool:
        """Keep the first envelope seen for a txid; False when it was known already or the pool is full."""
        if txid in self._requests or txid in self._committed or self.full:
            return False
        digest = hashing.sha256(envelope)
        self._requests[txid] = Request(envelope, digest, now)
        self._by_digest[digest] = txid
        return True

    def txid_of(self, envelope: bytes) -> str | None:
        """The txid of exactly this envelope if it is in the pool (so it was validated on arrival)."""
        return self._by_digest.get(hashing.sha256(envelope))

    def was_committed(self, txid: str) -> bool:
        return txid in self._committed

    def committed(self, txids: Iterable[str]) -> None:
        """These were ordered: drop them, and refuse them from now on."""
        for txid in txids:
            request = self._requests.pop(txid, None)
            if request is not None and self._by_digest.get(request.digest) == txid:
                del self._by_digest[request.digest]
            self._committed[txid] = None
        while len(self._committed) > self._remembered:
            self._committed.popitem(last=False)

    def oldest_arrival(self) -> float | None:
        for request in self._requests.values():
            return request.arrived
        return None

    def next_batch(self, exclude: frozenset[str] = frozenset()) -> tuple[Batch, list[str]]:
        """The oldest requests that make one block by the cutter's rules (at most max_message_count, sized by
        preferred_max_bytes): the batch and its txids."""
        cutter = BlockCutter(self._limits)
        taken: list[str] = []
        for txid, request in self._requests.items():
            if txid in exclude:
                continue
            batches = cutter.ordered(request.envelope)
            if batches:
                first = batches[0]
                if len(first) > len(taken):  # this request completed the batch with itself in it
                    taken.append(txid)
                return first, taken[:len(first)]
            taken.append(txid)
        return cutter.cut(), taken

    def overdue(self, now: float, age: float, view: int) -> list[tuple[str, bytes]]:
        """Requests older than `age` not yet forwarded in `view`; marks them forwarded now."""
        found = []
        for txid, request in self._requests.items():
            if now - request.arrived < age:
                break  # arrival order: the rest are younger
            if request.forwarded_view != view:
                request.forwarded_view = view
                request.forwarded_at = now
                found.append((txid, request.envelope))
        return found

    def stuck_since(self, view: int) -> float | None:
        """When the oldest request forwarded in `view` (and still here) was forwarded, or None."""
        times = [r.forwarded_at for r in self._requests.values() if r.forwarded_view == view]
        return min(times) if times else None
