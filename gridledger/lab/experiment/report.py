"""The experiment report: one HTML page that sets runs (one per configuration) next to each other and next to the
reference thesis.

Charts and HTML come from gridledger.lab.report (shared with `gridledger bench`); this module only decides what
is plotted and compared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from itertools import accumulate
from pathlib import Path

from gridledger.lab.experiment.metrics import (
    DISPLAY,
    RunMetrics,
    compute,
    cost_ratio,
    per_household_slot,
    run_labels,
    valid_latencies,
)
from gridledger.lab.experiment.rundata import MICRO_CENTS_PER_USD, WH_PER_KWH, Run, Slot, load_run
from gridledger.lab.report import HtmlReport, bar_chart, cdf_chart, line_chart

REPORT_FILE = "report.html"

# Reference data, not a result of ours: the thesis' results table (Christidis, "Blockchain-Based Local Energy
# Markets", PhD thesis, NC State University 2020), as summarised in shared/domain/market.md, "Results to compare
# against". 63 Austin households, 5760 slots of 15 minutes (Jan 1 - Mar 1 2013), Fabric 1.4.4. Keys are RunMetrics
# field names so both are shown with the same formatting.
THESIS_SOURCE = ("Christidis, Blockchain-Based Local Energy Markets, PhD thesis, NC State University 2020 "
                 "(results table; 63 households, 5,760 slots, Hyperledger Fabric 1.4.4)")
THESIS_HOUSEHOLDS, THESIS_SLOTS, THESIS_NO_MARKET_USD = 63, 5760, 7497.0
THESIS_RESULTS: Mapping[str, Mapping[str, float]] = {
    "config1": {"bidder_success": 0.2772, "bid_latency_median_ms": 774, "bid_latency_p95_ms": 1395,
                "reveal_latency_median_ms": 637, "reveal_latency_p95_ms": 1328, "internal_kwh": 8402,
                "external_cost_usd": 5009, "market_efficiency_mean": 0.1915, "allocative_efficiency_mean": 0.5926},
    "config2": {"bidder_success": 1.0, "bid_latency_median_ms": 477, "bid_latency_p95_ms": 585,
                "reveal_latency_median_ms": 479.5, "reveal_latency_p95_ms": 731.5, "internal_kwh": 17140,
                "external_cost_usd": 4352, "market_efficiency_mean": 1.275, "allocative_efficiency_mean": 0.8440},
    "config3": {"bidder_success": 1.0, "bid_latency_median_ms": 609, "bid_latency_p95_ms": 737,
                "reveal_latency_median_ms": 303.5, "reveal_latency_p95_ms": 420, "internal_kwh": 17240,
                "external_cost_usd": 4344, "market_efficiency_mean": 1.297, "allocative_efficiency_mean": 0.8451},
}
LATENCY_PHASES = ("bid", "reveal")


def thesis_values(configuration: str) -> dict[str, float | None] | None:
    """The thesis' numbers for a configuration with the run-size facts and the normalised metrics derived from them
    (the same formulas as for our runs); None for a configuration the thesis did not have."""
    reported = THESIS_RESULTS.get(configuration)
    if reported is None:
        return None
    return {**reported, "households": THESIS_HOUSEHOLDS, "slots": THESIS_SLOTS,
            "no_market_cost_usd": THESIS_NO_MARKET_USD,
            "internal_wh_per_household_slot": per_household_slot(reported["internal_kwh"], THESIS_HOUSEHOLDS,
                                                                 THESIS_SLOTS),
            "external_cost_ratio": cost_ratio(reported["external_cost_usd"], THESIS_NO_MARKET_USD)}


def cumulative(slots: Sequence[Slot], value: Callable[[Slot], float]) -> list[tuple[float, float]]:
    """(slot number, running total) points, the shape of the thesis' cumulative energy and cost plots."""
    return list(zip((float(slot.slot_num) for slot in slots), accumulate(value(slot) for slot in slots),
                    strict=True))


def traded_kwh(slot: Slot) -> float:
    return slot.traded_wh / WH_PER_KWH


def grid_cost_usd(slot: Slot) -> float:
    return slot.grid_cost_uc / MICRO_CENTS_PER_USD


def no_market_cost_usd(slot: Slot) -> float:
    return slot.no_market_cost_uc / MICRO_CENTS_PER_USD


def spec_cell(value: object) -> str:
    """Spec values as written: scalars as text, nested settings as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def add_setup(report: HtmlReport, runs: Sequence[Run], labels: Sequence[str]) -> None:
    """Every spec.json key of every run (the union, in first-seen order), so differences between runs are visible."""
    keys = list(dict.fromkeys(key for run in runs for key in run.spec))
    rows = [[key, *(spec_cell(run.spec[key]) if key in run.spec else "" for run in runs)] for key in keys]
    report.heading("Setup")
    report.table(["setting", *labels], [*rows, ["run directory", *(str(run.path) for run in runs)]])


def add_comparison(report: HtmlReport, metrics: Sequence[RunMetrics], labels: Sequence[str]) -> None:
    """The metrics table, each run next to the thesis' numbers for its configuration."""
    columns: list[str] = ["metric"]
    sources: list[Mapping[str, float | None]] = []
    for m, label in zip(metrics, labels, strict=True):
        columns.append(label)
        sources.append({shown.key: getattr(m, shown.key) for shown in DISPLAY})
        reference = thesis_values(m.configuration)
        if reference is not None:
            columns.append(f"thesis {m.configuration}")
            sources.append(reference)
    rows = [[shown.heading, *(shown.format(source.get(shown.key)) for source in sources)] for shown in DISPLAY]
    report.heading("Metrics and the thesis' results")
    report.paragraph(f"Reference numbers: {THESIS_SOURCE}. Totals (kWh, USD) grow with households x slots, so runs "
                     "of another size compare through the normalised rows (per household-slot, cost ratio). "
                     "Transaction success counts attempts of bidder transactions (buy, sell, postKey, markEnd); "
                     "latencies are those of committed bidder transactions, percentiles interpolated linearly "
                     "between closest ranks. Efficiency means leave out slots where the ratio is undefined "
                     "(nothing imported, or an empty side).")
    report.table(columns, rows)


def add_latency(report: HtmlReport, runs: Sequence[Run], labels: Sequence[str]) -> None:
    """Whole distributions rather than median and p95 alone: contention (Configuration 1) shows up as a long tail."""
    report.heading("Latency")
    for phase in LATENCY_PHASES:
        samples = {label: valid_latencies(run, phase) for run, label in zip(runs, labels, strict=True)}
        report.figure(cdf_chart(samples, title=f"{phase}-phase latency", x_label="latency (ms)"),
                      f"Empirical CDF of the latency of committed bidder transactions in the {phase} phase.")


def add_energy_and_cost(report: HtmlReport, runs: Sequence[Run], labels: Sequence[str]) -> None:
    """The thesis' cumulative plots: where over the run a configuration gains or loses trade and money."""
    report.heading("Energy and cost")
    energy = {label: cumulative(run.slots, traded_kwh) for run, label in zip(runs, labels, strict=True)}
    report.figure(line_chart(energy, title="Demand met internally", x_label="slot", y_label="cumulative kWh"),
                  "Energy traded in the market, accumulated over slots.")
    report.figure(line_chart(cost_series(runs, labels), title="External cost", x_label="slot",
                             y_label="cumulative USD"),
                  "Paid to the grid for imports minus received for exports, with the market and without it "
                  "(every household nets its own use and generation with the grid).")


def add_efficiency(report: HtmlReport, metrics: Sequence[RunMetrics], labels: Sequence[str]) -> None:
    """Mean bars, not per-slot lines: a slot's market efficiency explodes when it imported almost nothing, so
    per-slot plots are dominated by a few outliers."""
    report.heading("Efficiency")
    for key, title in (("market_efficiency_mean", "Mean market efficiency E_trd/E_imp"),
                       ("allocative_efficiency_mean", "Mean allocative efficiency E_trd/min(E_buy,E_sell)")):
        report.figure(bar_chart(efficiency_bars(metrics, labels, key), title=title, y_label="mean over slots"),
                      "Each run next to the thesis' value for its configuration.")


def add_validation_codes(report: HtmlReport, metrics: Sequence[RunMetrics], labels: Sequence[str]) -> None:
    """Why bidder transactions failed: one chart per run, as a bar chart shows one set of categories."""
    report.heading("Validation codes")
    for m, label in zip(metrics, labels, strict=True):
        report.figure(bar_chart(dict(m.bidder_statuses), title=f"{label}: bidder transaction attempts",
                                y_label="attempts"),
                      "Outcome of every attempt of a bidder transaction: VALID, a validation code or an error kind.")


def cost_series(runs: Sequence[Run], labels: Sequence[str]) -> dict[str, list[tuple[float, float]]]:
    """Cumulative external cost per run, plus the no-market line: one line when all runs share it (the same trace),
    one per run otherwise."""
    with_market = {label: cumulative(run.slots, grid_cost_usd) for run, label in zip(runs, labels, strict=True)}
    without = {f"{label} without market": cumulative(run.slots, no_market_cost_usd)
               for run, label in zip(runs, labels, strict=True)}
    lines = list(without.values())
    if all(line == lines[0] for line in lines):
        return {**with_market, "without market": lines[0]}
    return {**with_market, **without}


def efficiency_bars(metrics: Sequence[RunMetrics], labels: Sequence[str], key: str) -> dict[str, float]:
    """A run's mean efficiency, followed by the thesis' for its configuration; undefined means are left out."""
    bars: dict[str, float] = {}
    for m, label in zip(metrics, labels, strict=True):
        reference = thesis_values(m.configuration)
        for name, value in ((label, getattr(m, key)),
                            (f"thesis {m.configuration}", None if reference is None else reference[key])):
            if value is not None:
                bars[name] = value
    return bars


def write_report(run_dirs: Sequence[Path], out: Path) -> Path:
    """Write the report comparing the runs in `run_dirs` and return its path: `out` itself when it names an .html
    file, else out/report.html."""
    if not run_dirs:
        raise ValueError("a report needs at least one run directory")
    runs = [load_run(Path(directory)) for directory in run_dirs]
    metrics = [compute(run) for run in runs]
    labels = run_labels(metrics)
    report = HtmlReport("gridledger experiment: " + ", ".join(labels))
    add_setup(report, runs, labels)
    add_comparison(report, metrics, labels)
    add_latency(report, runs, labels)
    add_energy_and_cost(report, runs, labels)
    add_efficiency(report, metrics, labels)
    add_validation_codes(report, metrics, labels)
    out = Path(out)
    return report.write(out if out.suffix == ".html" else out / REPORT_FILE)
