"""SimBench's load and PV profiles, read from the optional `simbench` package (extra `traces`).

Optional because it pulls pandapower, pandas and scipy, which only the trace builder needs; the loader, the agents
and CI work from the CSV files.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.lab.traces.households import LOAD_PROFILES, PV_PROFILES, SLOTS_PER_DAY

SCENARIO = 0  # SimBench scenario 0: today's grid; its profiles are the year 2016 at 15-min resolution
YEAR_DAYS = 366  # 2016 is a leap year
YEAR_SLOTS = YEAR_DAYS * SLOTS_PER_DAY
MISSING = ("the trace builder needs the optional package simbench (SimBench profiles, ODbL); "
           "install it with: pip install -e '.[traces]'")


class SimbenchMissing(RuntimeError):
    """simbench is not installed; the message says how to install it."""


class SimbenchFormatError(RuntimeError):
    """The installed simbench's profile tables are not shaped as this builder expects."""


@dataclass(frozen=True)
class Profiles:
    """Relative profiles over the SimBench year: load scaled to a peak of 1, PV to the installed peak power."""

    version: str
    load: dict[str, list[float]]  # by profile name, active power only
    pv: dict[str, list[float]]


def load_profiles() -> Profiles:
    """Read the household load and PV profiles of SimBench scenario 0."""
    try:
        import simbench
    except ModuleNotFoundError as exc:
        if exc.name != "simbench":
            raise SimbenchMissing(f"simbench is installed but its dependency {exc.name} is missing; "
                                  "reinstall with: pip install -e '.[traces]'") from exc
        raise SimbenchMissing(MISSING) from exc
    folder = simbench.complete_data_path(SCENARIO)
    load_table = simbench.read_csv_data(folder, ";", tablename="LoadProfile")
    res_table = simbench.read_csv_data(folder, ";", tablename="RESProfile")
    load = {name: _column(load_table, f"{name}_pload", "LoadProfile") for name in LOAD_PROFILES}
    pv = {name: _column(res_table, name, "RESProfile") for name in PV_PROFILES}
    return Profiles(simbench.__version__, load, pv)


def _column(table, column: str, table_name: str) -> list[float]:  # table: a pandas DataFrame
    if column not in table.columns:
        raise SimbenchFormatError(f"simbench's {table_name} has no column {column!r}")
    values = [float(v) for v in table[column].tolist()]
    if any(not 0.0 <= v <= 1.0 for v in values):  # relative profiles; also catches NaN
        raise SimbenchFormatError(f"simbench's {table_name}.{column} has values outside 0..1")
    if len(values) != YEAR_SLOTS:
        raise SimbenchFormatError(f"simbench's {table_name}.{column} has {len(values)} values, "
                                  f"expected {YEAR_SLOTS} (a year of 15-min slots)")
    return values
