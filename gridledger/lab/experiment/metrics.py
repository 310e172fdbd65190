"""Market and ledger metrics of one experiment run, computed from its run directory (rundata.py reads it). The
metric definitions follow the reference thesis (shared/domain/market.md, "Results to compare against") so a run can
be set next to it.

Percentiles interpolate linearly between the closest ranks (`statistics.quantiles(method="inclusive")`, numpy's
default): position (n - 1) * q of the sorted samples. The median is the p50 of the same method.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.table import Table

from gridledger.lab.experiment.rundata import MICRO_CENTS_PER_USD, WH_PER_KWH, Run, Slot, Transaction


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
