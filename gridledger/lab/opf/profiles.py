"""The day's load and PV shapes from the same SimBench profiles as the market traces (lab/traces): the mean of the
household load profiles and of the PV profiles over one day of SimBench's 2016, averaged into the run's steps."""

from __future__ import annotations

from gridledger.lab.opf.solvers import MISSING, OpfExtraMissing
from gridledger.lab.traces.households import LOAD_PROFILES, PV_PROFILES, SLOTS_PER_DAY
from gridledger.lab.traces.simbench_source import SimbenchMissing, load_profiles


def _daily(series: list[list[float]], day: int, steps: int) -> list[float]:
    per_step = SLOTS_PER_DAY // steps
    start = day * SLOTS_PER_DAY
    mean = [sum(s[start + i] for s in series) / len(series) for i in range(SLOTS_PER_DAY)]
    return [sum(mean[t * per_step:(t + 1) * per_step]) / per_step for t in range(steps)]


def day_shapes(day: int, steps: int) -> tuple[list[float], list[float]]:
    """(load scaled to a peak of 1, PV as a share of installed peak) for day `day` (0 = 1 January 2016)."""
    if steps < 1 or SLOTS_PER_DAY % steps or not 0 <= day < 366:
        raise ValueError(f"steps must divide {SLOTS_PER_DAY} and day be in 0..365, got {steps}, {day}")
    try:
        profiles = load_profiles()
    except SimbenchMissing as exc:
        raise OpfExtraMissing(MISSING) from exc
    load = _daily([profiles.load[name] for name in LOAD_PROFILES], day, steps)
    pv = _daily([profiles.pv[name] for name in PV_PROFILES], day, steps)
    peak = max(load)
    return [v / peak for v in load], pv
