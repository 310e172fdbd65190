"""opf-report.html of OPF runs: cost and iterations beside the paper's (204 iterations, +0.4%, 1.2 s), the
convergence of the residuals against eps_pri and eps_dual, the day's schedule, the voltage profile and the nodal
prices, centralised and by ADMM, from the files the runner writes (summary.json, iterations.csv, buses.csv).
An on-chain run of the same spec (`opf onchain`, folder NAME-onchain beside it) adds its seconds per phase and, if
it was billed, the bill."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from pathlib import Path
from statistics import fmean

from gridledger.lab.opf.ledger_run import PHASES
from gridledger.lab.report import HtmlReport, bar_chart, line_chart

PAPER = "the paper (SCE 56-bus, 24 h)"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _log10(value: float) -> float:
    return math.log10(value) if value > 0 else math.nan


def _summary_rows(summary: dict) -> list[list[object]]:
    paper = summary["paper"]
    return [["iterations", summary["iterations"], paper["iterations"]],
            ["gap to the centralised optimum %", 100 * summary["gap"], 100 * paper["gap"]],
            ["seconds per iteration (agents' solves + aggregate)",
             summary["solve_seconds_per_iteration"] + summary["aggregate_seconds_per_iteration"],
             paper["seconds_per_iteration"]],
            ["converged", summary["converged"], True], ["bus-iterations missed", summary["missed"], None]]


def _convergence(iterations: list[dict[str, str]], admm: dict) -> str:
    count = len(iterations)
    series = {"primal ||r||": [(int(r["iteration"]), _log10(float(r["primal_residual"]))) for r in iterations],
              "dual rho ||dz||": [(int(r["iteration"]), _log10(float(r["dual_residual"]))) for r in iterations],
              "eps_pri": [(1, math.log10(admm["eps_pri"])), (count, math.log10(admm["eps_pri"]))],
              "eps_dual": [(1, math.log10(admm["eps_dual"])), (count, math.log10(admm["eps_dual"]))]}
    return line_chart(series, title="Residuals per iteration", x_label="iteration", y_label="log10 of pu")


def _by_step(buses: list[dict[str, str]], column: str, pick=sum) -> list[tuple[float, float]]:
    values: dict[int, list[float]] = defaultdict(list)
    for row in buses:
        values[int(row["step"])].append(float(row[column]))
    return [(step, pick(found)) for step, found in sorted(values.items())]


def _voltage_profile(buses: list[dict[str, str]]) -> tuple[str, int]:
    """Voltage along the bus index at the step with the lowest voltage anywhere."""
    worst = min(buses, key=lambda row: float(row["voltage_pu"]))
    step = int(worst["step"])
    at = [row for row in buses if int(row["step"]) == step]
    chart = line_chart({"centralised": [(int(r["bus"]), float(r["voltage_pu"])) for r in at],
                        "ADMM consensus": [(int(r["bus"]), float(r["admm_voltage_pu"])) for r in at]},
                       title=f"Voltage profile at step {step}", x_label="bus", y_label="pu")
    return chart, step


def _add_onchain(report: HtmlReport, folder: Path) -> None:
    rows = _rows(folder / "onchain.csv")
    later = rows[1:] or rows  # the first iteration includes compiling the agents' problems
    report.paragraph(f"On the ledger (`opf onchain`, {folder.name}): {len(rows)} iterations, converged: "
                     f"{rows[-1]['converged']}. Mean seconds per iteration after the first:")
    report.table(["phase", "seconds"], [[phase, fmean(float(r[phase]) for r in later)] for phase in PHASES])
    bill_path = folder / "bill.json"
    if bill_path.exists():
        bill = json.loads(bill_path.read_text())
        report.paragraph("Bill (token units; negative: paid to the bus; the generator is bus 0). Transfers sum to "
                         f"{sum(bill['transfers'].values())}; buses without a meter: {bill['unmetered'] or 'none'}.")
        report.table(["bus", "payment", "deviation Wh", "penalty"],
                     [[bus, pay, dev, fine] for bus, (pay, dev, fine) in
                      enumerate(zip(bill["payments"], bill["deviations_wh"], bill["penalties"], strict=True))])


def write_opf_report(run_dirs: list[Path], path: Path) -> Path:
    report = HtmlReport("gridledger OPF experiments: decentralised optimal power flow by ADMM")
    for run_dir in run_dirs:
        spec = json.loads((run_dir / "spec.json").read_text())
        summary = json.loads((run_dir / "summary.json").read_text())
        iterations = _rows(run_dir / "iterations.csv")
        buses = _rows(run_dir / "buses.csv")
        report.heading(f"{spec['name']}: {spec['feeder']}, {spec['steps']} steps, rho {spec['admm']['rho']}, "
                       f"eps_pri {spec['admm']['eps_pri']}, eps_dual {spec['admm']['eps_dual']}")
        report.paragraph(f"Centralised cost {summary['central_cost']:.4f}, ADMM {summary['admm_cost']:.4f} "
                         f"(gap {100 * summary['gap']:+.3f}%), in {summary['iterations']} iterations.")
        report.table(["", "this run", PAPER], _summary_rows(summary))
        report.figure(_convergence(iterations, spec["admm"]), "Stops when both are below their tolerance (19).")
        report.figure(line_chart({"ADMM (generator's last local solve)": [
            (int(r["iteration"]), float(r["generator_cost"])) for r in iterations],
            "centralised optimum": [(1, summary["central_cost"]), (len(iterations), summary["central_cost"])]},
            title="Generator cost per iteration", x_label="iteration", y_label="money per day"),
            "The substation generator's cost in its local problem against the centralised optimum.")
        report.figure(line_chart({"centralised": _by_step(buses, "withdrawal_mw"),
                                  "ADMM": _by_step(buses, "admm_withdrawal_mw")},
                                 title="Scheduled net withdrawal of the feeder per step",
                                 x_label="step", y_label="MW"),
                      "Every bus's load net of its PV, battery, shapable and deferrable loads, summed; the "
                      "substation's generator supplies it and the losses.")
        chart, step = _voltage_profile(buses)
        report.figure(chart, f"Every bus at step {step}, the step with the lowest voltage.")
        report.figure(line_chart({"lowest voltage (centralised)": _by_step(buses, "voltage_pu", min),
                                  "lowest voltage (ADMM)": _by_step(buses, "admm_voltage_pu", min)},
                                 title="Lowest voltage per step", x_label="step", y_label="pu"),
                      "The feeder's lowest voltage in each step.")
        prices = {f"bus {bus}": [(int(r["step"]), float(r["price_per_mwh"])) for r in buses if r["bus"] == bus]
                  for bus in ("0", worst_bus(buses))}
        report.figure(line_chart(prices, title="Nodal prices per step", x_label="step", y_label="money per MWh"),
                      "The substation and the bus of the lowest voltage (duals of the real-power balance).")
        at_step = {r["bus"]: float(r["price_per_mwh"]) for r in buses if int(r["step"]) == step}
        report.figure(bar_chart({f"bus {bus}": price for bus, price in at_step.items()},
                                title=f"Nodal prices at step {step}", y_label="money per MWh"),
                      "Prices rise along the feeder with the marginal losses.")
        onchain = run_dir.parent / f"{run_dir.name}-onchain"
        if (onchain / "onchain.csv").exists():
            _add_onchain(report, onchain)
    return report.write(path)


def worst_bus(buses: list[dict[str, str]]) -> str:
    """The bus with the lowest voltage of the run."""
    return min(buses, key=lambda row: float(row["voltage_pu"]))["bus"]
