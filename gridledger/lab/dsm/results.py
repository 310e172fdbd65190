"""What a DSM run records: one row per day and method (days.csv) and one per day, method and house (houses.csv),
each computed from the day's record as the ledger holds it, next to the central reference."""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from math import isqrt
from pathlib import Path

from gridledger.common.dsm.steering import squared_norm

CENTRAL = "central"


@dataclass(frozen=True)
class DayRow:
    day: int
    method: str
    houses: int
    setup_s: float
    consensus_s: float
    iterations_s: float
    total_s: float
    transactions: int
    iterations: int
    peak_before_w: int  # the largest draw or feed-in of the neighbourhood without batteries
    peak_after_w: int
    norm_before_w: int  # 2-norm of the aggregate profile, rounded down
    norm_after_w: int
    identical_to_central: bool
    forger: str
    reward_milli: int
    stake_value_milli: int
    pow_attempts: int
    skipped_offers: int


@dataclass(frozen=True)
class HouseRow:
    day: int
    method: str
    house: str
    battery: str
    wins: int
    improvement_mw: int
    stake_milli: int


@dataclass(frozen=True)
class ProfileRow:
    """The neighbourhood's aggregate in one slot of a day, without batteries and as planned (central)."""

    day: int
    slot: int
    base_w: int
    planned_w: int


def peak(profile: tuple[int, ...]) -> int:
    """The largest power the neighbourhood exchanges with the grid in a slot, drawn or fed in."""
    return max(abs(value) for value in profile)


def norm(profile: tuple[int, ...]) -> int:
    return isqrt(squared_norm(profile))


def write_rows(path: Path, rows: list) -> None:
    if not rows:
        return
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(rows[0])])
        writer.writeheader()
        writer.writerows(asdict(row) for row in rows)


def read_rows(path: Path, row_type: type) -> list:
    """Rows written by write_rows, with each column converted back to its field's type."""
    types = {f.name: f.type for f in fields(row_type)}
    convert = {"int": int, "float": float, "str": str, "bool": lambda text: text == "True"}
    with path.open(newline="") as source:
        return [row_type(**{name: convert[types[name]](value) for name, value in record.items()})
                for record in csv.DictReader(source)]
