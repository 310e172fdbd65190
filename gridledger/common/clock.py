"""The wall clock as this node reads it: the system clock plus an offset that a chaos run may set to skew one
node (NodeConfig.clock_offset_s, allowed only with fault_injection; docs/reliability.md). Certificate validity
checks (msp.py) and the timestamps a node signs (seek.py) read it; timers use the event loop's monotonic clock,
which no skew touches.
"""

from __future__ import annotations

import datetime as dt
import time

_offset_ns = 0


def set_offset(seconds: float) -> None:
    """Skew this process's wall clock by `seconds` (set once, at node start)."""
    global _offset_ns
    _offset_ns = round(seconds * 1e9)


def time_ns() -> int:
    return time.time_ns() + _offset_ns


def utcnow() -> dt.datetime:
    return dt.datetime.fromtimestamp(time_ns() / 1e9, dt.UTC)
