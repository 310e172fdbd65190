"""Who lives in a built trace: each household's load profile, annual consumption, profile shift and PV system.

Drawn from the seed and the household's index only (not from the household count), so household h007 is the same
in a 10-household and a 63-household build and `Trace.select(households=N)` of a big trace matches a build of N.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# SimBench's single-household profiles, the ones its low-voltage grids assign to household loads. H0-H is left out:
# it is a smoothed aggregate (never below 29% of its peak), not one home.
LOAD_PROFILES = ("H0-A", "H0-B", "H0-C", "H0-G", "H0-L")
PV_PROFILES = tuple(f"PV{n}" for n in range(1, 9))
SLOTS_PER_DAY = 96
# Five load shapes for dozens of homes would make households identical and their demand perfectly correlated. Each
# home therefore reads its profile shifted by whole weeks (keeping weekday and weekend aligned, the season barely
# changes) plus up to half an hour (a different daily routine).
WEEK_SHIFTS = range(-2, 3)
SLOT_JITTER = range(-2, 3)


@dataclass(frozen=True)
class HouseholdOptions:
    """Ranges for the drawn parameters. Defaults: a single-family home (3,000-6,000 kWh a year) and, as in the
    case study where all 63 Austin homes had PV, a 3-8 kWp system on every roof."""

    pv_share: float = 1.0
    kwp_min: float = 3.0
    kwp_max: float = 8.0
    annual_kwh_min: float = 3000.0
    annual_kwh_max: float = 6000.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.pv_share <= 1.0:
            raise ValueError(f"PV share {self.pv_share} is not between 0 and 1")
        if not 0.0 < self.kwp_min <= self.kwp_max:
            raise ValueError(f"PV size range {self.kwp_min}-{self.kwp_max} kWp must be positive and ordered")
        if not 0.0 < self.annual_kwh_min <= self.annual_kwh_max:
            raise ValueError(f"annual consumption range {self.annual_kwh_min}-{self.annual_kwh_max} kWh must be "
                             "positive and ordered")


@dataclass(frozen=True)
class Household:
    id: str
    load_profile: str
    annual_kwh: int
    shift_slots: int  # the load profile is read this many slots later (negative: earlier)
    pv_profile: str | None  # None: no PV
    kwp: float  # 0.0 without PV

    def describe(self) -> str:
        """One line for the trace's header, so a reader can see how every household was made."""
        pv = f"{self.pv_profile} {self.kwp:.1f} kWp" if self.pv_profile else "no PV"
        return f"{self.id}: load {self.load_profile} {self.annual_kwh} kWh/year shift {self.shift_slots:+d} slots, {pv}"


def household_ids(count: int) -> list[str]:
    """h001, h002, ...: zero-padded so that sorted ids are in build order."""
    width = max(3, len(str(count)))
    return [f"h{n:0{width}d}" for n in range(1, count + 1)]


def draw_households(count: int, seed: int, options: HouseholdOptions) -> list[Household]:
    """Draw `count` households; the same seed gives the same homes on every machine and Python version."""
    homes = []
    for index, household_id in enumerate(household_ids(count)):
        rng = random.Random(f"gridledger-trace:{seed}:{index}")  # str seeds hash with SHA-512: stable everywhere
        load_profile = rng.choice(LOAD_PROFILES)
        annual_kwh = round(rng.uniform(options.annual_kwh_min, options.annual_kwh_max))
        shift = rng.choice(WEEK_SHIFTS) * 7 * SLOTS_PER_DAY + rng.choice(SLOT_JITTER)
        # Draw the PV system even for homes without one, so changing the share only adds or removes systems.
        pv_profile = rng.choice(PV_PROFILES)
        kwp = round(rng.uniform(options.kwp_min, options.kwp_max), 1)
        has_pv = rng.random() < options.pv_share
        homes.append(Household(household_id, load_profile, annual_kwh, shift,
                               pv_profile if has_pv else None, kwp if has_pv else 0.0))
    return homes
