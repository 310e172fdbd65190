"""Totals over a trace, for `gridledger trace info` and for checking a build against expectations."""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.lab.traces.model import Trace


@dataclass(frozen=True)
class TraceStats:
    households: int
    slots: int
    use_wh: int
    gen_wh: int
    pv_households: int  # households that generate in at least one slot

    @property
    def pv_share(self) -> float:
        return self.pv_households / self.households


def trace_stats(trace: Trace) -> TraceStats:
    """Sum use and generation over every household and slot; count households with any generation."""
    use_total = gen_total = pv = 0
    for household in trace.households:
        generated = 0
        for slot in trace.slots:
            use_wh, gen_wh = trace.reading(household, slot)
            use_total += use_wh
            generated += gen_wh
        gen_total += generated
        pv += generated > 0
    return TraceStats(len(trace.households), len(trace.slots), use_total, gen_total, pv)
