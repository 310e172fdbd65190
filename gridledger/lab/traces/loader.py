"""Read a household trace CSV (island's columns) with validation that names file, line and column.

Format: optional comment lines starting with '#', a header row with at least `id,slot,gen,grid,use,lo,hi` (extra
columns are ignored), then one row per household and slot. gen, grid and use are average kW over the 15-min slot
with use = gen + grid; lo and hi are the grid's buy and sell prices in c/kWh, the same for every row of a slot.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path

from gridledger.lab.traces.model import Trace, TraceError
from gridledger.lab.traces.units import cents_to_millicents, kw_to_wh

COLUMNS = ("id", "slot", "gen", "grid", "use", "lo", "hi")
# Files written with 3 decimals round each of gen, grid and use by up to 0.5 W, so their sum may miss by 1.5 W.
DEFAULT_TOLERANCE_KW = Decimal("0.0015")


class _Row:
    """One data row, with the file position for error messages."""

    def __init__(self, path: Path, line: int, fields: dict[str, str]) -> None:
        self.path = path
        self.line = line
        self.fields = fields

    def error(self, column: str, problem: str) -> TraceError:
        return TraceError(f"{self.path}:{self.line}: column '{column}': {problem}")

    def number(self, column: str) -> Decimal:
        text = self.fields[column]
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise self.error(column, f"{text!r} is not a number") from None
        if not value.is_finite():
            raise self.error(column, f"{text!r} is not a finite number")
        return value

    def slot(self) -> int:
        text = self.fields["slot"]
        if not (text.isascii() and text.isdigit()):
            raise self.error("slot", f"{text!r} is not a whole number >= 0")
        return int(text)

    def household(self) -> str:
        if not self.fields["id"]:
            raise self.error("id", "empty household id")
        return self.fields["id"]


def _rows(path: Path, lines: Iterable[str]) -> Iterator[_Row]:
    """Yield a _Row per data line, after checking the header; comments and blank lines are skipped."""
    header: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in next(csv.reader([line]))]
        if header is None:
            missing = [column for column in COLUMNS if column not in fields]
            if missing:
                raise TraceError(f"{path}:{number}: missing column(s) {', '.join(repr(c) for c in missing)} in the "
                                 f"header (need {','.join(COLUMNS)}; found {','.join(fields)})")
            header = fields
            continue
        if len(fields) != len(header):
            raise TraceError(f"{path}:{number}: {len(fields)} fields, the header has {len(header)}")
        yield _Row(path, number, dict(zip(header, fields, strict=True)))
    if header is None:
        raise TraceError(f"{path}: no header row (need {','.join(COLUMNS)})")


def load_trace(path: Path | str, *, tolerance_kw: Decimal = DEFAULT_TOLERANCE_KW) -> Trace:
    """Read and validate a trace; raise TraceError naming the file, line and column of the first problem.

    `tolerance_kw` bounds |use - (gen + grid)|: traces from other sources may round more coarsely.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            readings, prices = _read(path, handle, tolerance_kw)
    except OSError as exc:
        raise TraceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise TraceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not readings:
        raise TraceError(f"{path}: no data rows")
    try:
        return Trace(readings, prices)
    except TraceError as exc:
        raise TraceError(f"{path}: {exc}") from None


def _read(path: Path, lines: Iterable[str], tolerance_kw: Decimal
          ) -> tuple[dict[tuple[str, int], tuple[int, int]], dict[int, tuple[int, int]]]:
    """Readings and slot prices from the data rows, checking each row and its consistency with earlier ones."""
    readings: dict[tuple[str, int], tuple[int, int]] = {}
    first_line: dict[tuple[str, int], int] = {}
    prices: dict[int, tuple[int, int]] = {}
    price_line: dict[int, int] = {}
    for row in _rows(path, lines):
        household, slot = row.household(), row.slot()
        gen, grid, use, lo, hi = (row.number(column) for column in ("gen", "grid", "use", "lo", "hi"))
        for column, value in (("use", use), ("gen", gen)):
            if value < 0:
                raise row.error(column, f"{value} is negative")
        if abs(use - (gen + grid)) > tolerance_kw:
            raise row.error("use", f"{use} != gen + grid = {gen} + {grid} = {gen + grid} "
                                   f"(tolerance {tolerance_kw} kW)")
        slot_prices = (cents_to_millicents(lo), cents_to_millicents(hi))
        if slot_prices[0] <= 0:
            raise row.error("lo", f"{lo} c/kWh is not a positive price")
        if slot_prices[0] >= slot_prices[1]:
            raise row.error("lo", f"lo {lo} must be below hi {hi} c/kWh")
        key = (household, slot)
        if key in readings:
            raise row.error("id", f"duplicate (id, slot) ({household!r}, {slot}), first at line {first_line[key]}")
        if slot in prices and prices[slot] != slot_prices:
            raise row.error("lo" if prices[slot][0] != slot_prices[0] else "hi",
                            f"lo/hi {lo}/{hi} differ from those of slot {slot} at line {price_line[slot]}")
        readings[key] = (kw_to_wh(use), kw_to_wh(gen))
        first_line[key] = row.line
        prices.setdefault(slot, slot_prices)
        price_line.setdefault(slot, row.line)
    return readings, prices
