"""Synthetic neighbourhoods for the DSM tests: seeded household days with a solar dip and an evening peak."""

from __future__ import annotations

import random

from gridledger.common.dsm.battery import PRESETS, SCENARIOS, SLOTS_PER_DAY
from gridledger.common.dsm.steering import House


def houses(count: int, seed: int = 7, scenario: str = "scenario2") -> list[House]:
    rng = random.Random(seed)
    built = []
    for index in range(count):
        peak_end = 84 + index % 6
        base = tuple(rng.randint(120, 900) - (rng.randint(1000, 5000) if 40 <= slot < 62 else 0)
                     + (rng.randint(2500, 7000) if 68 <= slot < peak_end else 0) for slot in range(SLOTS_PER_DAY))
        built.append(House(f"house-{index:02d}", base, PRESETS[SCENARIOS[scenario][index % 25]]))
    return built
