"""Small feeders and scenarios for the OPF tests: a few buses and steps, so a whole ADMM run takes seconds."""

from __future__ import annotations

import math

from gridledger.common.opf import Feeder, Generator, Penetration, Scenario, place_devices


def small_feeder(name: str = "y4") -> Feeder:
    """A 4-bus Y: substation 0 feeds 1, which feeds 2 and 3 (case33bw-like impedances and loads, per-unit)."""
    inf = math.inf
    return Feeder(name, 10.0, 12.66, (-1, 0, 1, 1), (0.0, 0.006, 0.03, 0.02), (0.0, 0.003, 0.015, 0.012),
                  (inf, inf, inf, inf), (1.0, 0.9, 0.9, 0.9), (1.0, 1.1, 1.1, 1.1), 1.0,
                  (0.0, 0.01, 0.012, 0.009), (0.0, 0.006, 0.007, 0.004))


def day_shapes(steps: int) -> tuple[list[float], list[float]]:
    """A smooth load shape peaking in the evening and a PV bell around noon."""
    load = [0.55 + 0.45 * math.sin(math.pi * ((t + 0.5) / steps) ** 1.5) for t in range(steps)]
    pv = [max(0.0, math.sin(math.pi * ((t + 0.5) * 24 / steps - 6) / 12)) for t in range(steps)]
    return load, pv


def small_scenario(steps: int = 4, seed: int = 1) -> Scenario:
    load, pv = day_shapes(steps)
    return place_devices(small_feeder(), Generator(0.05, 0.5, 0.0, 0.0, 1.0), load, pv,
                         Penetration(pv_share=0.6, deferrable_share=0.7, shapable_share=0.7), seed)
