"""Reading an experiment's run directory (spec.json, transactions.csv, slots.csv, blocks.csv) into typed rows.

The run directory is the only interface between the runner and the analysis, so it is read strictly: a file that does
not match the format fails with its path, line and column instead of silently skewing a mean.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

BIDDER_TX_TYPES = frozenset({"buy", "sell", "postKey", "markEnd"})
TX_TYPES = BIDDER_TX_TYPES | {"publishKey", "closeBids", "closeReveals", "clear", "report", "settle", "clock"}
PHASES = frozenset({"bid", "reveal", "other"})
VALID = "VALID"
WH_PER_KWH = 1000
MICRO_CENTS_PER_USD = 100 * 1_000_000
SPEC_FILE, TRANSACTIONS_FILE, SLOTS_FILE, BLOCKS_FILE = "spec.json", "transactions.csv", "slots.csv", "blocks.csv"

Parser = Callable[[str], Any]
Row = TypeVar("Row")


class RunFileError(ValueError):
    """A run-directory file that is missing or does not match the format the runner writes."""


class FieldError(ValueError):
    """A value (or a combination of values) that is wrong in a row, in `column` if one column is to blame; the reader
    adds file and line."""

    def __init__(self, column: str | None, problem: str) -> None:
        super().__init__(problem)
        self.column = column


# Column parsers: each raises ValueError with what was expected; the reader adds where and what it got.

def text(value: str) -> str:
    return value


def nonempty(value: str) -> str:
    if not value:
        raise ValueError("expected a non-empty value")
    return value


def count(value: str) -> int:
    """A whole number >= 0; int() alone would also take '+3', ' 3' and '3_000', which no writer of ours emits."""
    if not re.fullmatch(r"[0-9]+", value):
        raise ValueError("expected a whole number >= 0")
    return int(value)


def positive(value: str) -> int:
    number = count(value)
    if number == 0:
        raise ValueError("expected a whole number > 0")
    return number


def signed(value: str) -> int:
    if not re.fullmatch(r"-?[0-9]+", value):
        raise ValueError("expected a whole number")
    return int(value)


def duration(value: str) -> float:
    """A finite number >= 0 (seconds, milliseconds, KiB); NaN and inf would poison every mean they enter."""
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a number >= 0") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError("expected a finite number >= 0")
    return number


def optional(parse: Parser) -> Parser:
    """Empty means "none" (no block, no clearing price); anything else must parse."""
    return lambda value: None if value == "" else parse(value)


def choice(options: Iterable[str]) -> Parser:
    allowed = sorted(options)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}")
        return value

    return parse


def column(parse: Parser) -> Any:
    """A dataclass field that is also a CSV column, so the row type and its file format are defined in one place."""
    return field(metadata={"parse": parse})


def columns(row_type: type) -> dict[str, Parser]:
    """The CSV columns of a row type, in file order, with their parsers."""
    return {spec.name: spec.metadata["parse"] for spec in fields(row_type)}


@dataclass(frozen=True)
class Transaction:
    """One attempt to get a transaction committed (a retry is a new row with attempt + 1)."""

    tx_id: str = column(text)  # empty when an attempt failed before it had a transaction id
    slot: int | None = column(optional(count))
    household: str = column(text)
    tx_type: str = column(choice(TX_TYPES))
    phase: str = column(choice(PHASES))
    attempt: int = column(positive)
    submitted_s: float = column(duration)
    latency_ms: float = column(duration)
    tx_status: str = column(nonempty)
    block: int | None = column(optional(count))

    @property
    def bidder(self) -> bool:
        """Sent by a market participant (the thesis' transaction success counts only these)."""
        return self.tx_type in BIDDER_TX_TYPES

    @property
    def valid(self) -> bool:
        return self.tx_status == VALID


@dataclass(frozen=True)
class Slot:
    """One market slot's outcome: the ledger's clearing result, the grid exchange and the problem counters."""

    slot_num: int = column(count)
    trace_slot: int = column(count)
    clearing_price: int | None = column(optional(positive))
    traded_wh: int = column(count)
    buy_orders: int = column(count)
    sell_orders: int = column(count)
    buy_wh: int = column(count)
    sell_wh: int = column(count)
    bought_from_grid_wh: int = column(count)
    bought_from_grid_price: int = column(positive)
    sold_to_grid_wh: int = column(count)
    sold_to_grid_price: int = column(positive)
    demand_met_internally_wh: int = column(count)
    demand_met_internally_price: int | None = column(optional(positive))
    late_buy: int = column(count)
    late_sell: int = column(count)
    late_reveal: int = column(count)
    unrevealed: int = column(count)
    undecryptable: int = column(count)
    malformed: int = column(count)
    missing_readings: int = column(count)
    grid_cost_uc: int = column(signed)
    no_market_cost_uc: int = column(signed)
    internal_payments_uc: int = column(signed)

    def __post_init__(self) -> None:
        """Reject rows that contradict the mechanism: they point at a bug in the runner or the chaincode, and any
        efficiency or cost computed from them would be meaningless."""
        if (self.clearing_price is None) != (self.traded_wh == 0):
            raise FieldError("clearing_price", "must be empty exactly when traded_wh is 0")
        if self.traded_wh > min(self.buy_wh, self.sell_wh):
            raise FieldError("traded_wh", f"exceeds min(buy_wh, sell_wh) = {min(self.buy_wh, self.sell_wh)}")
        if self.demand_met_internally_wh != self.traded_wh:
            raise FieldError("demand_met_internally_wh", f"must equal traded_wh ({self.traded_wh})")
        if self.demand_met_internally_price != self.clearing_price:
            raise FieldError("demand_met_internally_price", "must equal clearing_price")
        if self.internal_payments_uc != 0:
            raise FieldError("internal_payments_uc", "market payments of a slot must sum to 0")

    @property
    def market_efficiency(self) -> float | None:
        """E_trd / E_imp; undefined (None, left out of the mean) when the slot imported nothing from the grid."""
        return self.traded_wh / self.bought_from_grid_wh if self.bought_from_grid_wh else None

    @property
    def allocative_efficiency(self) -> float | None:
        """E_trd / min(E_buy, E_sell): the share of the tradeable volume that traded; undefined when a side is empty."""
        tradeable = min(self.buy_wh, self.sell_wh)
        return self.traded_wh / tradeable if tradeable else None


@dataclass(frozen=True)
class Block:
    block_num: int = column(count)
    size_kib: float = column(duration)
    tx_count: int = column(count)
    valid_count: int = column(count)

    def __post_init__(self) -> None:
        if self.valid_count > self.tx_count:
            raise FieldError("valid_count", f"exceeds tx_count ({self.tx_count})")


@dataclass(frozen=True)
class Run:
    """Everything one run directory holds, validated."""

    path: Path
    spec: Mapping[str, Any]
    transactions: tuple[Transaction, ...]
    slots: tuple[Slot, ...]
    blocks: tuple[Block, ...]

    @property
    def name(self) -> str:
        return str(self.spec["name"])

    @property
    def configuration(self) -> str:
        return str(self.spec["configuration"])


SPEC_TYPES: Mapping[str, tuple[type, ...]] = {
    "name": (str,), "configuration": (str,), "sealing": (str,), "data_model": (str,), "network": (str,),
    "households": (int,), "slots": (int,), "wall_time_s": (int, float)}


def load_spec(path: Path) -> dict[str, Any]:
    """spec.json: the keys the analysis relies on are checked; any other key is kept as it is, for the setup table."""
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RunFileError(f"{path}: cannot read: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(spec, dict):
        raise RunFileError(f"{path}: expected a JSON object")
    for key, types in SPEC_TYPES.items():
        if key not in spec:
            raise RunFileError(f"{path}: missing key {key!r}")
        value = spec[key]
        if isinstance(value, bool) or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types)
            raise RunFileError(f"{path}: key {key!r}: expected {expected}, got {value!r}")
    return spec


def parse_record(record: Mapping[str | None, Any], row_type: type[Row]) -> Row:
    """Build one row from a csv.DictReader record; raises FieldError naming the offending column."""
    if None in record:
        raise FieldError(None, "more fields than the header has columns")
    values = {}
    for name, parse in columns(row_type).items():
        raw = record[name]
        if raw is None:
            raise FieldError(name, "missing (fewer fields than the header has columns)")
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            raise FieldError(name, f"{exc}, got {raw!r}") from None
    return row_type(**values)


def read_table(path: Path, row_type: type[Row], unique: str | None = None) -> tuple[Row, ...]:
    """Read a CSV file whose header names at least row_type's fields (extra columns are ignored, so the runner can add
    some); `unique` names a column whose values must not repeat."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            try:
                return read_rows(reader, row_type, unique)
            except FieldError as exc:
                where = f"line {max(reader.line_num, 1)}" + ("" if exc.column is None else f", column {exc.column!r}")
                raise RunFileError(f"{path}: {where}: {exc}") from None
            except csv.Error as exc:
                raise RunFileError(f"{path}: line {reader.line_num}: not readable as CSV: {exc}") from None
    except OSError as exc:
        raise RunFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise RunFileError(f"{path}: not UTF-8 text: {exc}") from None


def read_rows(reader: csv.DictReader[str], row_type: type[Row], unique: str | None) -> tuple[Row, ...]:
    """The rows of an open CSV file; raises FieldError (the caller knows the file and the reader's line)."""
    missing = [name for name in columns(row_type) if name not in (reader.fieldnames or [])]
    if missing:
        raise FieldError(None, f"missing column(s) {', '.join(missing)}")
    rows: list[Row] = []
    seen: dict[Any, int] = {}
    for record in reader:
        row = parse_record(record, row_type)
        if unique is not None:
            key = getattr(row, unique)
            if key in seen:
                raise FieldError(unique, f"{key} already appears on line {seen[key]}")
            seen[key] = reader.line_num
        rows.append(row)
    return tuple(rows)


def load_run(directory: Path) -> Run:
    """Read and validate a run directory; slots come back ordered by slot number."""
    directory = Path(directory)
    slots = read_table(directory / SLOTS_FILE, Slot, unique="slot_num")
    return Run(path=directory, spec=load_spec(directory / SPEC_FILE),
               transactions=read_table(directory / TRANSACTIONS_FILE, Transaction),
               slots=tuple(sorted(slots, key=lambda slot: slot.slot_num)),
               blocks=read_table(directory / BLOCKS_FILE, Block, unique="block_num"))
