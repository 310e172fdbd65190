"""Per-participant payments for one slot: the internal market at the clearing price, and the grid for every Wh a
participant did not trade internally (imports at Hi, exports at Lo).

Money is micro-cents: price (mc/kWh) x energy (Wh) is an exact integer, so the internal payments of a slot sum to
exactly zero and the grid's account balances the rest: all transfers of a slot sum to zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gridledger.common.market.allocation import Allocation

GRID = "grid"


@dataclass(frozen=True, slots=True)
class Reading:
    """A meter's energy for the slot in Wh: consumed and generated."""

    use_wh: int
    gen_wh: int


@dataclass(frozen=True, slots=True)
class Line:
    """One participant's settlement; positive money is received."""

    bought_wh: int
    sold_wh: int
    market: int
    grid_import_wh: int
    grid_export_wh: int
    grid: int
    reading_missing: bool

    @property
    def net(self) -> int:
        return self.market + self.grid


@dataclass(frozen=True, slots=True)
class Settlement:
    """Every participant's line, the transfers to apply (per account, grid included, summing to zero) and how many
    trading participants had no meter reading."""

    lines: dict[str, Line]
    transfers: dict[str, int]
    missing_readings: int

    def to_json(self) -> dict[str, object]:
        return {
            "lines": {p: {"bought_wh": ln.bought_wh, "sold_wh": ln.sold_wh, "market": ln.market,
                          "grid_import_wh": ln.grid_import_wh, "grid_export_wh": ln.grid_export_wh,
                          "grid": ln.grid, "net": ln.net, "reading_missing": ln.reading_missing}
                      for p, ln in sorted(self.lines.items())},
            "transfers": dict(sorted(self.transfers.items())),
            "missing_readings": self.missing_readings,
            "grid_import_wh": sum(ln.grid_import_wh for ln in self.lines.values()),
            "grid_export_wh": sum(ln.grid_export_wh for ln in self.lines.values()),
        }


def _line(price: int, lo: int, hi: int, bought: int, sold: int, reading: Reading | None) -> Line:
    traded = sold - bought
    # Without a reading the participant is taken to have delivered exactly what it traded (no grid energy).
    delivered = traded if reading is None else reading.gen_wh - reading.use_wh
    deviation = delivered - traded
    grid_export, grid_import = max(deviation, 0), max(-deviation, 0)
    return Line(bought, sold, price * traded, grid_import, grid_export, lo * grid_export - hi * grid_import,
                reading is None)


def settle(allocation: Allocation, price: int | None, readings: Mapping[str, Reading], lo: int, hi: int) -> Settlement:
    """Settle a slot. Participants are everyone who traded or reported; with no trade (price None) everything
    goes to the grid."""
    participants = sorted(set(allocation.bought) | set(allocation.sold) | set(readings))
    lines = {p: _line(price or 0, lo, hi, allocation.bought.get(p, 0), allocation.sold.get(p, 0), readings.get(p))
             for p in participants}
    transfers = {p: line.net for p, line in lines.items() if line.net}
    grid_total = -sum(transfers.values())
    if grid_total:
        transfers[GRID] = grid_total
    return Settlement(lines, transfers, sum(1 for line in lines.values() if line.reading_missing))
