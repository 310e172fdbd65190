"""report.html of DSM runs: the timing table beside the thesis' Table 6.2, whether every method planned the same
bytes as central Profile Steering, peak and 2-norm reductions, load-duration curves, the stake value over time and,
under proof of work, who won the days."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from statistics import fmean

from gridledger.lab.dsm.results import CENTRAL, DayRow, HouseRow, ProfileRow, read_rows
from gridledger.lab.report import HtmlReport, bar_chart, line_chart

# shared/domain/dsm.md, Table 6.2: seconds per planning day, 25 houses on one host (setup, PS, consensus, total).
THESIS = {"central": (1.50, 0.88, None, 2.47), "method1 + PoW": (10.78, 2.62, 0.69, 14.27),
          "method2 + PoW": (3.38, 36.38, 0.98, 40.76), "method1 + PoS": (11.25, 2.48, 4.54, 18.95),
          "method2 + PoS": (3.35, 36.54, 3.94, 43.85)}


CONSENSUS_NAMES = {"pos": "PoS", "pow": "PoW"}


def _percent(before: int, after: int) -> float:
    return 100.0 * (before - after) / before if before else 0.0


DAYS_SHOWN = 14  # longer runs show the summary; days.csv has every day


def reduction_rows(central: list[DayRow]) -> list[list[object]]:
    """Mean, smallest and largest daily reduction of the peak and of the 2-norm."""
    peaks = [_percent(r.peak_before_w, r.peak_after_w) for r in central]
    norms = [_percent(r.norm_before_w, r.norm_after_w) for r in central]
    iterations = [r.iterations for r in central]
    return [[f"mean of {len(central)}", fmean(iterations), fmean(peaks), fmean(norms)],
            ["smallest", min(iterations), min(peaks), min(norms)],
            ["largest", max(iterations), max(peaks), max(norms)]]


def pow_rows(days: list[DayRow], spec: dict) -> list[list[object]]:
    """Days won per group of houses with the same attempt delay (the thesis' winner-count table)."""
    delays = spec.get("attempt_delays_s") or {}
    group_sizes = Counter(delays.values()) if delays else Counter({0.0: spec["houses"]})
    rows: list[list[object]] = []
    for method in spec["methods"]:
        wins = Counter(delays.get(row.forger, 0.0) for row in days if row.method == method)
        rows += [[method, delay, size, wins[delay]] for delay, size in sorted(group_sizes.items())]
    return rows


def timing_rows(days: list[DayRow], coordination: str) -> list[list[object]]:
    """Mean seconds per day for each method of this run, each next to the thesis' row for the same approach."""
    rows: list[list[object]] = []
    for method in dict.fromkeys(row.method for row in days):
        mine = [row for row in days if row.method == method]
        approach = method if method == CENTRAL else f"{method} + {CONSENSUS_NAMES[coordination]}"
        thesis = THESIS.get(approach, (None, None, None, None))
        rows.append([approach, fmean(r.setup_s for r in mine), fmean(r.iterations_s for r in mine),
                     fmean(r.consensus_s for r in mine), fmean(r.total_s for r in mine),
                     fmean(r.transactions for r in mine), *thesis])
    return rows


def write_dsm_report(run_dirs: list[Path], path: Path) -> Path:
    report = HtmlReport("gridledger DSM experiments: Profile Steering on the ledger")
    for run_dir in run_dirs:
        spec = json.loads((run_dir / "spec.json").read_text())
        days = read_rows(run_dir / "days.csv", DayRow)
        houses = read_rows(run_dir / "houses.csv", HouseRow)
        profiles = read_rows(run_dir / "profiles.csv", ProfileRow)
        report.heading(f"{spec['name']}: {spec['scenario']}, {spec['houses']} houses, {len(spec['days'])} days, "
                       f"{spec['coordination']}, reward case {spec['reward_case']}")
        identical = "every method planned exactly the central plans on every day" if spec["identical_plans"] \
            else "A METHOD DIFFERED FROM CENTRAL PROFILE STEERING (a bug: see days.csv, identical_to_central)"
        report.paragraph(f"Plans: {identical}. Ledger verification: {spec['ledger_verify']}. Network: "
                         f"{spec['network']}, batch {spec['batch']}.")
        report.table(["approach", "setup s", "PS iterations s", "consensus s", "total s", "transactions",
                      "thesis setup", "thesis PS", "thesis consensus", "thesis total"],
                     timing_rows(days, spec["coordination"]))
        central = [row for row in days if row.method == CENTRAL]
        report.table(["days", "iterations", "peak reduction %", "2-norm reduction %"], reduction_rows(central))
        if len(central) <= DAYS_SHOWN:
            report.table(["day", "iterations", "peak before W", "peak after W", "peak reduction %",
                          "2-norm before W", "2-norm after W", "2-norm reduction %"],
                         [[r.day, r.iterations, r.peak_before_w, r.peak_after_w,
                           _percent(r.peak_before_w, r.peak_after_w), r.norm_before_w, r.norm_after_w,
                           _percent(r.norm_before_w, r.norm_after_w)] for r in central])
        before = sorted((row.base_w for row in profiles), reverse=True)
        after = sorted((row.planned_w for row in profiles), reverse=True)
        report.figure(line_chart({"without batteries": list(enumerate(before)),
                                  "Profile Steering": list(enumerate(after))},
                                 title="Load-duration curve of the neighbourhood", x_label="slots (sorted)",
                                 y_label="W"), "Every 15-minute slot of the run, highest first.")
        report.figure(bar_chart({f"day {r.day}": _percent(r.peak_before_w, r.peak_after_w) for r in central},
                                title="Daily peak reduction", y_label="%"), "Peak of the aggregate, before and "
                      "after Profile Steering.")
        stake = {method: [(r.day, r.stake_value_milli / 1000) for r in days if r.method == method]
                 for method in spec["methods"]}
        report.figure(line_chart(stake, title="Stake value of the neighbourhood", x_label="day",
                                 y_label="stake"), "Initial stakes (battery capacities, Wh) plus every reward.")
        final_day = max(row.day for row in houses)
        report.table(["method", "house", "battery", "days forged", "stake"],
                     [[row.method, row.house, row.battery, sum(d.forger == row.house for d in days
                                                              if d.method == row.method),
                       row.stake_milli / 1000] for row in houses if row.day == final_day])
        if spec["coordination"] == "pow":
            report.table(["method", "seconds between attempts", "houses", "days won by proof of work"],
                         pow_rows(days, spec))
    return report.write(path)
