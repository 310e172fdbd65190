"""Market and ledger metrics of one experiment run, computed from the files the runner writes into its run directory.

The run directory is the only interface between the runner and the analysis, so it is read strictly: a file that does
not match the format fails with its path, line and column instead of silently skewing a mean. The metric definitions
follow the reference thesis (shared/domain/market.md, "Results to compare against") so a run can be set next to it.

Percentiles interpolate linearly between the closest ranks (`statistics.quantiles(method="inclusive")`, numpy's
default): position (n - 1) * q of the sorted samples. The median is the p50 of the same method.
"""

from __future__ import annotations

import csv
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from rich.table import Table

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


def valid_latencies(run: Run, phase: str) -> list[float]:
    """Latencies (ms) of committed bidder transactions in one phase: what the thesis' bid- and reveal-phase latencies
    measure (protocol transactions such as `clock` would otherwise dominate the sample)."""
    return [tx.latency_ms for tx in run.transactions if tx.bidder and tx.valid and tx.phase == phase]


def success_rate(transactions: Sequence[Transaction]) -> float | None:
    """VALID attempts / all attempts, as a fraction; None without attempts."""
    return sum(tx.valid for tx in transactions) / len(transactions) if transactions else None


def mean(values: Sequence[float]) -> float | None:
    return statistics.fmean(values) if values else None


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def p95(values: Sequence[float]) -> float | None:
    """95th percentile, linear between closest ranks (see the module docstring)."""
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def per_household_slot(kwh: float, households: int, slots: int) -> float | None:
    """Internal trade in Wh per household and slot: normalised by the run's size, so runs of any size compare with
    the thesis' 63 households x 5760 slots."""
    size = households * slots
    return kwh * WH_PER_KWH / size if size else None


def cost_ratio(external_usd: float, no_market_usd: float) -> float | None:
    """External cost relative to the cost without a market: the market's saving, independent of the run's size;
    undefined when the community would not have paid the grid at all."""
    return external_usd / no_market_usd if no_market_usd > 0 else None


def total(slots: Iterable[Slot], *columns: str) -> int:
    return sum(getattr(slot, name) for slot in slots for name in columns)


@dataclass(frozen=True)
class RunMetrics:
    """The numbers one run is judged by. Rates and efficiencies are fractions; None where a metric is undefined
    (no samples), never a misleading 0.

    - bidder_success: VALID / all attempts of buy, sell, postKey and markEnd (the thesis' transaction success);
      overall_success: the same over every attempt, protocol transactions included.
    - bid/reveal latency: median and p95 (linear, see the module docstring) of committed bidder transactions by the
      phase they were sent in.
    - market efficiency: mean over slots of E_trd / E_imp, slots without imports left out (counted in
      market_efficiency_slots); allocative efficiency: mean of E_trd / min(E_buy, E_sell), slots with an empty side
      left out.
    - internal_kwh: sum of traded_wh; external_cost_usd / no_market_cost_usd: sums of grid_cost_uc /
      no_market_cost_uc in USD (1 USD = 1e8 micro-cents).
    - late_orders: late_buy + late_sell; excluded_orders: unrevealed + undecryptable + malformed.
    - bidder_statuses: (tx_status, attempts) of bidder transactions, most frequent first.
    """

    name: str
    configuration: str
    households: int
    slots: int
    attempts: int
    bidder_attempts: int
    bidder_success: float | None
    overall_success: float | None
    bid_latency_median_ms: float | None
    bid_latency_p95_ms: float | None
    reveal_latency_median_ms: float | None
    reveal_latency_p95_ms: float | None
    market_efficiency_mean: float | None
    market_efficiency_slots: int
    allocative_efficiency_mean: float | None
    allocative_efficiency_slots: int
    internal_kwh: float
    external_cost_usd: float
    no_market_cost_usd: float
    late_orders: int
    late_reveals: int
    excluded_orders: int
    missing_readings: int
    blocks: int
    mean_block_kib: float | None
    mean_block_tx: float | None
    bidder_statuses: tuple[tuple[str, int], ...]

    @property
    def internal_wh_per_household_slot(self) -> float | None:
        return per_household_slot(self.internal_kwh, self.households, self.slots)

    @property
    def external_cost_ratio(self) -> float | None:
        return cost_ratio(self.external_cost_usd, self.no_market_cost_usd)

    def as_row(self) -> dict[str, str]:
        """Formatted values by column heading, in display order, starting with the run name and configuration."""
        return {"run": self.name, "configuration": self.configuration,
                **{shown.heading: shown.format(getattr(self, shown.key)) for shown in DISPLAY}}


@dataclass(frozen=True)
class Shown:
    """How a RunMetrics field (or a reference value for it) is shown in tables."""

    key: str
    heading: str
    spec: str

    def format(self, value: float | None) -> str:
        return "" if value is None else format(value, self.spec)


DISPLAY: tuple[Shown, ...] = (
    Shown("slots", "market slots", ",d"),
    Shown("households", "households", ",d"),
    Shown("bidder_attempts", "bidder tx attempts", ",d"),
    Shown("bidder_success", "tx success, bidder tx", ".2%"),
    Shown("overall_success", "tx success, all tx", ".2%"),
    Shown("bid_latency_median_ms", "bid-phase latency median (ms)", ",.1f"),
    Shown("bid_latency_p95_ms", "bid-phase latency p95 (ms)", ",.1f"),
    Shown("reveal_latency_median_ms", "reveal-phase latency median (ms)", ",.1f"),
    Shown("reveal_latency_p95_ms", "reveal-phase latency p95 (ms)", ",.1f"),
    Shown("internal_kwh", "demand met internally (kWh)", ",.1f"),
    Shown("internal_wh_per_household_slot", "demand met internally per household-slot (Wh)", ",.1f"),
    Shown("external_cost_usd", "external cost (USD)", ",.2f"),
    Shown("no_market_cost_usd", "external cost without market (USD)", ",.2f"),
    Shown("external_cost_ratio", "external cost / without market", ".3f"),
    Shown("market_efficiency_mean", "mean market efficiency E_trd/E_imp", ".4f"),
    Shown("market_efficiency_slots", "slots in market efficiency mean", ",d"),
    Shown("allocative_efficiency_mean", "mean allocative efficiency E_trd/min(E_buy,E_sell)", ".4f"),
    Shown("allocative_efficiency_slots", "slots in allocative efficiency mean", ",d"),
    Shown("late_orders", "late orders", ",d"),
    Shown("late_reveals", "late reveals", ",d"),
    Shown("excluded_orders", "excluded orders (unrevealed, undecryptable, malformed)", ",d"),
    Shown("missing_readings", "missing meter readings", ",d"),
    Shown("blocks", "blocks", ",d"),
    Shown("mean_block_kib", "mean block size (KiB)", ",.2f"),
    Shown("mean_block_tx", "mean tx per block", ",.2f"),
)


def compute(run: Run) -> RunMetrics:
    """All metrics of one run (definitions in RunMetrics' docstring)."""
    bidder = [tx for tx in run.transactions if tx.bidder]
    bid, reveal = valid_latencies(run, "bid"), valid_latencies(run, "reveal")
    market = [e for slot in run.slots if (e := slot.market_efficiency) is not None]
    allocative = [e for slot in run.slots if (e := slot.allocative_efficiency) is not None]
    return RunMetrics(
        name=run.name, configuration=run.configuration, households=run.spec["households"],
        slots=len(run.slots), attempts=len(run.transactions), bidder_attempts=len(bidder),
        bidder_success=success_rate(bidder), overall_success=success_rate(run.transactions),
        bid_latency_median_ms=median(bid), bid_latency_p95_ms=p95(bid),
        reveal_latency_median_ms=median(reveal), reveal_latency_p95_ms=p95(reveal),
        market_efficiency_mean=mean(market), market_efficiency_slots=len(market),
        allocative_efficiency_mean=mean(allocative), allocative_efficiency_slots=len(allocative),
        internal_kwh=total(run.slots, "traded_wh") / WH_PER_KWH,
        external_cost_usd=total(run.slots, "grid_cost_uc") / MICRO_CENTS_PER_USD,
        no_market_cost_usd=total(run.slots, "no_market_cost_uc") / MICRO_CENTS_PER_USD,
        late_orders=total(run.slots, "late_buy", "late_sell"), late_reveals=total(run.slots, "late_reveal"),
        excluded_orders=total(run.slots, "unrevealed", "undecryptable", "malformed"),
        missing_readings=total(run.slots, "missing_readings"),
        blocks=len(run.blocks), mean_block_kib=mean([block.size_kib for block in run.blocks]),
        mean_block_tx=mean([block.tx_count for block in run.blocks]),
        bidder_statuses=tuple(Counter(tx.tx_status for tx in bidder).most_common()))


def run_labels(metrics: Sequence[RunMetrics]) -> list[str]:
    """A short name per run for legends and columns: its configuration, or its run name when it has none or shares
    the configuration with another run; numbered if still ambiguous, as legends and columns need distinct names."""
    shared = Counter(m.configuration for m in metrics)

    def label(m: RunMetrics) -> str:
        if not m.configuration:
            return m.name
        return m.configuration if shared[m.configuration] == 1 else f"{m.configuration} ({m.name})"

    labels = [label(m) for m in metrics]
    repeated = Counter(labels)
    return [f"{label} #{index + 1}" if repeated[label] > 1 else label for index, label in enumerate(labels)]


def metrics_table(metrics: Sequence[RunMetrics]) -> Table:
    """The metrics for the terminal: one column per run, one row per metric (runs as rows would not fit), starting
    with the run name, since the column heading may only say the configuration."""
    rows = [m.as_row() for m in metrics]
    table = Table(title="experiment metrics")
    table.add_column("metric")
    for label in run_labels(metrics):
        table.add_column(label, justify="right")
    for heading in rows[0] if rows else ():
        table.add_row(heading, *(row[heading] for row in rows))
    return table
