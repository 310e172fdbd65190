"""Build a household trace from SimBench profiles: the open stand-in for the case study's Pecan Street data, which
cannot be redistributed. Writes island's columns so the loader reads built and original traces alike."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from gridledger.lab.traces.households import (
    LOAD_PROFILES,
    SLOTS_PER_DAY,
    Household,
    HouseholdOptions,
    draw_households,
)
from gridledger.lab.traces.loader import COLUMNS
from gridledger.lab.traces.simbench_source import SCENARIO, YEAR_DAYS, YEAR_SLOTS, Profiles
from gridledger.lab.traces.units import cents_to_millicents, millicents_to_text, watts_to_kw_text

SIMBENCH_FIRST_DAY = date(2016, 1, 1)
LICENCE = ("derived from the SimBench database (c) University of Kassel, TU Dortmund, RWTH Aachen University and "
           "Fraunhofer IEE Kassel, https://simbench.de, made available under the Open Database License (ODbL) 1.0, "
           "https://opendatacommons.org/licenses/odbl/1.0/ ; this derived trace is likewise under the ODbL 1.0")


@dataclass(frozen=True)
class BuildRequest:
    """What to build. Prices are c/kWh as on the command line; the defaults are the thesis' 2013 values."""

    households: int
    days: int
    seed: int
    start_day: int = 0  # day of the SimBench year (0 = 1 January 2016)
    lo: Decimal = Decimal("3.4")
    hi: Decimal = Decimal("10.84")
    options: HouseholdOptions = field(default_factory=HouseholdOptions)

    def __post_init__(self) -> None:
        if self.households < 1:
            raise ValueError(f"--households must be at least 1, not {self.households}")
        if self.days < 1:
            raise ValueError(f"--days must be at least 1, not {self.days}")
        if self.start_day < 0 or self.start_day + self.days > YEAR_DAYS:
            raise ValueError(f"--start-day {self.start_day} with --days {self.days} leaves the SimBench year "
                             f"(days 0..{YEAR_DAYS - 1})")
        lo, hi = cents_to_millicents(self.lo), cents_to_millicents(self.hi)
        if not 0 < lo < hi:
            raise ValueError(f"need 0 < --lo < --hi in c/kWh (to 0.001), got {self.lo} and {self.hi}")

    def command(self) -> str:
        """The command line that rebuilds exactly this trace (with an output file to fill in).

        Numbers get 15 significant digits so any value typed on a command line reads back unchanged."""
        o = self.options
        return (f"gridledger trace build --households {self.households} --days {self.days} --seed {self.seed} "
                f"--start-day {self.start_day} --lo {self.lo_text} --hi {self.hi_text} "
                f"--pv-share {o.pv_share:.15g} --kwp-min {o.kwp_min:.15g} --kwp-max {o.kwp_max:.15g} "
                f"--annual-kwh-min {o.annual_kwh_min:.15g} --annual-kwh-max {o.annual_kwh_max:.15g}")

    @property
    def lo_text(self) -> str:
        return millicents_to_text(cents_to_millicents(self.lo))

    @property
    def hi_text(self) -> str:
        return millicents_to_text(cents_to_millicents(self.hi))


def household_watts(home: Household, profiles: Profiles, first_slot: int, count: int) -> tuple[list[int], list[int]]:
    """(use, gen) in whole watts, averaged over each slot from `first_slot` of the SimBench year on.

    Load is scaled so that the whole shifted year sums to the home's annual consumption; PV is the profile times the
    installed peak power. Whole watts are 3-decimal kW, the precision of the file.
    """
    load = profiles.load[home.load_profile]
    kw_per_unit = home.annual_kwh / (sum(load) * 0.25)  # a shift only rotates the year, keeping the sum
    use = [round(1000 * kw_per_unit * load[(first_slot + t + home.shift_slots) % YEAR_SLOTS]) for t in range(count)]
    if home.pv_profile is None:
        return use, [0] * count
    pv = profiles.pv[home.pv_profile]
    gen = [round(1000 * home.kwp * pv[first_slot + t]) for t in range(count)]
    return use, gen


def header_lines(request: BuildRequest, profiles: Profiles, homes: list[Household]) -> list[str]:
    """The '#' comment block: source, licence, seed and every parameter, enough to rebuild and to cite."""
    first = SIMBENCH_FIRST_DAY + timedelta(days=request.start_day)
    lines = [
        "gridledger household trace",
        f"built by: {request.command()} --out FILE",
        f"source: SimBench (PyPI package simbench {profiles.version}), scenario {SCENARIO} (year 2016), household "
        f"load profiles {','.join(LOAD_PROFILES)}, PV profiles {','.join(sorted(profiles.pv))}",
        f"licence: {LICENCE}",
        f"seed: {request.seed}",
        f"parameters: households={request.households} days={request.days} start_day={request.start_day} "
        f"lo={request.lo_text} hi={request.hi_text} pv_share={request.options.pv_share:.15g} "
        f"kwp={request.options.kwp_min:.15g}-{request.options.kwp_max:.15g} "
        f"annual_kwh={request.options.annual_kwh_min:.15g}-{request.options.annual_kwh_max:.15g}",
        f"slots: 15 min; slot 0 starts {first.isoformat()} 00:00 (SimBench's year: consecutive 15-min rows)",
        "units: gen, grid, use = average kW over the slot, use = gen + grid (grid < 0 exports); lo, hi = c/kWh "
        "(the grid buys at lo, sells at hi)",
        *(f"household {home.describe()}" for home in homes),
    ]
    return [f"# {line}\n" for line in lines]


def write_trace(path: Path, request: BuildRequest, profiles: Profiles,
                on_slot: Callable[[], None] = lambda: None) -> list[Household]:
    """Build the trace and write it to `path` (atomically: a failed build leaves no half file).

    Rows go slot by slot, the order in which a replay consumes them. `on_slot` ticks a progress bar after each
    slot's rows are written, the slow part of a build.
    """
    homes = draw_households(request.households, request.seed, request.options)
    first_slot, count = request.start_day * SLOTS_PER_DAY, request.days * SLOTS_PER_DAY
    series = [household_watts(home, profiles, first_slot, count) for home in homes]
    prices = f"{request.lo_text},{request.hi_text}"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as out:
        out.writelines(header_lines(request, profiles, homes))
        out.write(",".join(COLUMNS) + "\n")
        for t in range(count):
            for home, (use, gen) in zip(homes, series, strict=True):
                out.write(f"{home.id},{t},{watts_to_kw_text(gen[t])},{watts_to_kw_text(use[t] - gen[t])},"
                          f"{watts_to_kw_text(use[t])},{prices}\n")
            on_slot()
    os.replace(partial, path)
    return homes
