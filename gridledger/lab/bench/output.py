"""Writing a bench run: results.json (everything), rounds.csv (one row per network and round, Caliper's columns
first) and report.html (tables and interactive plotly charts, via gridledger.lab.report)."""

from __future__ import annotations

import csv
import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from gridledger.lab.bench.runner import RoundOutput
from gridledger.lab.report import HtmlReport, bar_chart, cdf_chart, line_chart

# Caliper's report columns, then what Caliper leaves out: (header, key path into a round result).
SUMMARY: list[tuple[str, tuple[str, ...]]] = [
    ("Succ", ("succeeded",)), ("Fail", ("failed",)),
    ("Target rate (TPS)", ("target_send_rate_tps",)), ("Send Rate (TPS)", ("achieved_send_rate_tps",)),
    ("Min Lat (ms)", ("latency_ms", "min")), ("p50 (ms)", ("latency_ms", "p50")),
    ("p95 (ms)", ("latency_ms", "p95")), ("p99 (ms)", ("latency_ms", "p99")),
    ("Max Lat (ms)", ("latency_ms", "max")), ("Avg Lat (ms)", ("latency_ms", "mean")),
    ("Throughput (TPS)", ("throughput_tps",)), ("Goodput (TPS)", ("goodput_tps",)),
    ("tx/block", ("blocks", "tx_per_block_mean")), ("Node CPU ms/tx", ("cpu_ms_per_valid_tx", "nodes")),
    ("Crypto bound (TPS)", ("crypto_bound", "bound_tps")),
    ("Goodput/bound", ("achieved_over_crypto_bound",)),
]
THROUGHPUT_NOTE = ("Throughput counts failed transactions too, as Caliper does: (succeeded + failed) / (last "
                   "completion - first submit). Goodput counts VALID ones only. Latencies are of VALID transactions.")


def value_at(result: dict, path: Sequence[str]) -> object:
    value: object = result
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def summary_row(result: dict) -> list[object]:
    return [value_at(result, path) for _, path in SUMMARY]


def failures(result: dict) -> str:
    found = {**result["failed_by_validation_code"], **result["failed_by_error"]}
    return "; ".join(f"{k}={v}" for k, v in found.items())


def finite(value: object) -> object:
    """`value` with NaN and infinities as None, so results.json is strict JSON (no percentile of nothing)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    return value


def write_json(document: dict, path: Path) -> Path:
    path.write_text(json.dumps(finite(document), indent=2, default=str, allow_nan=False) + "\n")
    return path


def write_csv(runs: Sequence[dict], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["network", "round", "workload", "rate_control", "workers", "duration_s",
                         *(header for header, _ in SUMMARY), "failures", "load1_start", "load1_end"])
        for run in runs:
            for result in run["rounds"]:
                writer.writerow([run["label"], result["label"], result["workload"], result["rate_control"],
                                 result["workers"], result["duration_s"], *summary_row(result), failures(result),
                                 result["load_average"]["start"][0], result["load_average"]["end"][0]])
    return path


def _round_figures(report: HtmlReport, run_label: str, output: RoundOutput) -> None:
    result, series = output.result, output.result["timeseries"]
    name = f"{run_label} / {result['label']}"
    report.figure(line_chart({"sent": list(zip(series["t"], series["sent"], strict=True)),
                              "completed": list(zip(series["t"], series["completed"], strict=True)),
                              "VALID": list(zip(series["t"], series["valid"], strict=True))},
                             title=f"Throughput over time: {name}", x_label="seconds into the round",
                             y_label="transactions per second"), caption="Per-second rates (completions by end time).")
    report.figure(line_chart({"p50 latency": [(t, v) for t, v in zip(series["t"], series["p50_ms"], strict=True)
                                              if math.isfinite(v)]},
                             title=f"Latency over time: {name}", x_label="seconds into the round",
                             y_label="ms (median of VALID)"), caption="Median latency of transactions completing "
                                                                      "in each second.")
    report.figure(line_chart({"transactions in block": [(at, float(tx)) for at, tx, _ in output.blocks]},
                             title=f"Block sizes: {name}", x_label="seconds into the round", y_label="transactions"),
                  caption="Each delivered block, when it arrived at the listening peer.")


def _run_section(report: HtmlReport, run: dict, outputs: Sequence[RoundOutput]) -> None:
    report.heading(f"Network {run['label']}")
    topology = run["topology"]
    report.table(["setting", "value"], [[k, json.dumps(v) if isinstance(v, dict) else v]
                                        for k, v in topology.items()])
    report.table(["crypto bound", "value"], [[k, v] for k, v in run["crypto_bound"].items()])
    report.table(["Round", *(h for h, _ in SUMMARY)], [[r["label"], *summary_row(r)] for r in run["rounds"]])
    report.paragraph(THROUGHPUT_NOTE)
    report.table(["Round", "failures by validation code", "failures by error", "load avg start", "load avg end",
                  "controller"],
                 [[r["label"], json.dumps(r["failed_by_validation_code"]), json.dumps(r["failed_by_error"]),
                   r["load_average"]["start"], r["load_average"]["end"], json.dumps(r["rate_controller"])]
                  for r in run["rounds"]])
    for result in run["rounds"]:
        report.table([f"{result['label']}: process", "CPU %", "RSS max (MiB)"],
                     [[name, v.get("cpu_percent"), v.get("rss_mib_max")] for name, v in result["resources"].items()])
        stage_rows = [[node, stage, value] for node, stages in result["stages"].items()
                      for stage, value in stages.items()]
        if stage_rows:
            report.table([f"{result['label']}: node", "stage", "mean ms"], stage_rows)
    report.figure(cdf_chart({o.result["label"]: [lat * 1e3 for _, lat, outcome in o.records if outcome == "VALID"]
                             for o in outputs}, title=f"Latency CDF: {run['label']}", x_label="latency (ms)"),
                  caption="Cumulative distribution of VALID transactions' latency, one line per round.")
    codes = Counter(outcome for o in outputs for _, _, outcome in o.records)
    report.figure(bar_chart(dict(codes.most_common()), title=f"Outcomes: {run['label']}", y_label="transactions"),
                  caption="VALID, each validation code, and each error before ordering, over all rounds.")
    for output in outputs:
        _round_figures(report, run["label"], output)


def write_html(document: dict, outputs: Sequence[Sequence[RoundOutput]], path: Path) -> Path:
    report = HtmlReport("gridledger bench")
    report.paragraph(f"Command: {document['command']}  Started {document['started_utc']}.")
    report.heading("Machine")
    report.table(["property", "value"], [[k, v] for k, v in document["machine"].items()])
    report.heading("Crypto cost (measured in this run)")
    cost = document["crypto_cost"]
    report.table(["sign (us)", "verify (us)", "message (bytes)"],
                 [[cost["sign_us"], cost["verify_us"], cost["message_bytes"]]])
    report.paragraph(cost["method"])
    runs = document["runs"]
    if len(runs) > 1:
        report.heading("Sweep")
        report.figure(bar_chart({f"{run['label']} {r['label']}": r["goodput_tps"] for run in runs
                                 for r in run["rounds"]}, title="Goodput per sweep value and round",
                                y_label="VALID tx/s"), caption="One bar per network and round.")
    for run, run_outputs in zip(runs, outputs, strict=True):
        _run_section(report, run, run_outputs)
    return report.write(path)
