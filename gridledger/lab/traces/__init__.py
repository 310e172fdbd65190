"""Household traces: per-household, per-slot meter readings and grid prices that drive the market agents and the
experiment runner. `load_trace` reads and validates a CSV in island's columns; `build` makes one from SimBench."""

from gridledger.lab.traces.loader import load_trace
from gridledger.lab.traces.model import Trace, TraceError
from gridledger.lab.traces.stats import TraceStats, trace_stats

__all__ = ["Trace", "TraceError", "TraceStats", "load_trace", "trace_stats"]
