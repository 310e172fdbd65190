"""Block cutter rules (Fabric semantics): count, preferred size, oversized messages alone, timer cuts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridledger.orderer.cutter import BatchLimits, BlockCutter


def cutter(count: int = 3, preferred: int = 100, absolute: int = 1000) -> BlockCutter:
    return BlockCutter(BatchLimits(count, preferred, absolute, batch_timeout_ms=50))


def msg(size: int, tag: int = 0) -> bytes:
    return bytes([tag]) * size


def test_cuts_at_max_message_count() -> None:
    c = cutter(count=3)
    assert c.ordered(msg(1, 1)) == []
    assert c.ordered(msg(1, 2)) == []
    assert c.pending_count == 2
    assert c.ordered(msg(1, 3)) == [[msg(1, 1), msg(1, 2), msg(1, 3)]]
    assert c.pending_count == 0 and c.pending_bytes == 0


def test_message_that_would_overflow_preferred_bytes_cuts_the_pending_batch_first() -> None:
    c = cutter(count=10, preferred=100)
    assert c.ordered(msg(40, 1)) == []
    assert c.ordered(msg(40, 2)) == []
    assert c.ordered(msg(40, 3)) == [[msg(40, 1), msg(40, 2)]]
    assert c.pending_count == 1 and c.pending_bytes == 40


def test_exactly_preferred_bytes_does_not_cut() -> None:
    c = cutter(count=10, preferred=100)
    assert c.ordered(msg(50, 1)) == []
    assert c.ordered(msg(50, 2)) == []
    assert c.pending_bytes == 100


def test_oversized_message_goes_alone_after_the_pending_batch() -> None:
    c = cutter(count=10, preferred=100)
    c.ordered(msg(10, 1))
    assert c.ordered(msg(101, 2)) == [[msg(10, 1)], [msg(101, 2)]]
    assert c.pending_count == 0
    assert c.ordered(msg(500, 3)) == [[msg(500, 3)]]
    assert c.pending_count == 0


def test_timer_cut_returns_pending_then_nothing() -> None:
    c = cutter(count=10)
    c.ordered(msg(5, 1))
    c.ordered(msg(5, 2))
    assert c.cut() == [msg(5, 1), msg(5, 2)]
    assert c.cut() == []
    assert c.pending_count == 0


@pytest.mark.parametrize("field", ["max_message_count", "preferred_max_bytes", "absolute_max_bytes",
                                   "batch_timeout_ms"])
def test_limits_must_be_positive(field: str) -> None:
    values = {"max_message_count": 1, "preferred_max_bytes": 1, "absolute_max_bytes": 1, "batch_timeout_ms": 1}
    values[field] = 0
    with pytest.raises(ValueError, match=field):
        BatchLimits(**values)


@settings(max_examples=200, deadline=None)
@given(count=st.integers(1, 6), preferred=st.integers(1, 60),
       sizes=st.lists(st.integers(0, 80), max_size=40))
def test_batches_keep_order_and_respect_limits(count: int, preferred: int, sizes: list[int]) -> None:
    c = cutter(count=count, preferred=preferred)
    messages = [i.to_bytes(2, "big") + b"x" * size for i, size in enumerate(sizes)]
    batches = [batch for m in messages for batch in c.ordered(m)]
    rest = c.cut()
    everything = [m for batch in [*batches, rest] for m in batch]
    assert everything == messages
    for batch in [*batches, rest]:
        assert len(batch) <= count
        if len(batch) > 1:
            assert sum(map(len, batch)) <= preferred
    assert all(batches)  # the cutter never returns an empty batch from ordered()
