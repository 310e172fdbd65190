"""`gridledger bench`: Caliper-like benchmark rounds on a network started for the run (local processes or
containers), with results in JSON, CSV and an HTML report. See docs/performance.md for how to read them."""

from __future__ import annotations

import asyncio
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.cli.setup import read_network
from gridledger.lab.bench import crypto
from gridledger.lab.bench.config import BenchConfigError, derive, load_rounds, parse_sweep, write_network
from gridledger.lab.bench.machine import describe
from gridledger.lab.bench.nodes import DockerNodes, LocalNodes, Nodes
from gridledger.lab.bench.output import SUMMARY, summary_row, write_csv, write_html, write_json
from gridledger.lab.bench.runner import NetworkRun, RoundOutput, crypto_summary, network_bound, run_network
from gridledger.lab.bench.runner import topology as describe_topology
from gridledger.ops.netconfig import NetworkConfigError, NetworkDefinition


class RichProgress:
    """Shows each round as a progress bar with live counts (the runner's Progress protocol)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task = None

    def note(self, text: str) -> None:
        self._progress.console.print(f"[dim]{text}[/dim]")

    def round_started(self, label: str, duration: float) -> None:
        self._task = self._progress.add_task(label, total=duration, stats="")

    def round_tick(self, elapsed: float, target: float, sent: int, completed: int, valid: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, completed=elapsed,
                                  stats=f"target {target:,.0f} | sent {sent:,} | done {completed:,} | VALID {valid:,}")

    def round_finished(self, result: dict) -> None:
        self._task = None
        self.note(f"{result['label']}: {result['goodput_tps']:,.1f} VALID tx/s, "
                  f"p50 {result['latency_ms']['p50']:,.1f} ms")


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) < 1:
            return f"{value:.3g}"
        return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
    return str(value)


CONSOLE_COLUMNS = ("Succ", "Fail", "Send Rate (TPS)", "p50 (ms)", "p95 (ms)", "p99 (ms)", "Max Lat (ms)",
                   "Throughput (TPS)", "Goodput (TPS)", "Goodput/bound")


def results_table(runs: list[dict]) -> Table:
    """Caliper's columns (the full set is in rounds.csv and report.html)."""
    shown = [i for i, (header, _) in enumerate(SUMMARY) if header in CONSOLE_COLUMNS]
    table = Table("Network", "Round", *(SUMMARY[i][0] for i in shown), title="gridledger bench")
    for run in runs:
        for result in run["rounds"]:
            row = summary_row(result)
            table.add_row(run["label"], result["label"], *(_cell(row[i]) for i in shown))
    return table


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", text).strip("_")[:60]


def plan_runs(base: NetworkDefinition, sweep: tuple[str, list[str]] | None, out: Path, local: bool,
              free_ports: bool) -> list[NetworkRun]:
    """The networks to run: `base` itself, or one derived network per sweep value, each written (network.yaml)
    with its data folder under its own sub-folder of `out`."""
    settings = [(f"{sweep[0]}={value}", (sweep[0], value)) for value in sweep[1]] if sweep else [(base.name, None)]
    runs = []
    for label, param in settings:
        folder = out / _slug(label) if param else out
        definition = derive(base, sweep=param, free_ports=free_ports)
        nodes: Nodes = (LocalNodes if local else DockerNodes)(folder.resolve() / "data")
        runs.append(NetworkRun(label, write_network(definition, folder / "network.yaml").resolve(), definition, nodes,
                               {"param": param[0], "value": param[1]} if param else None))
    return runs


def bench(network: Path = typer.Option(..., "--network", help="network definition (deploy/networks/*.yaml)"),
          local: bool = typer.Option(True, "--local/--docker", help="nodes as local processes, or containers"),
          workload: str = typer.Option("kv-blind-write", help="kv-blind-write, kv-read-write, kv-hot-key, or "
                                                              "module:Class"),
          rate_control: str = typer.Option("fixed-rate:50", "--rate-control",
                                           help="fixed-rate:TPS, fixed-load:BACKLOG, linear-rate:FROM:TO, "
                                                "maximum-rate[:START[:WINDOW_S]]"),
          duration: float = typer.Option(30.0, help="seconds of sending per round"),
          workers: int = typer.Option(2, help="worker processes, each with its own gateway connection"),
          out: Path = typer.Option(Path("bench-results"), "--out", help="folder for results and the networks' data"),
          rounds: Path = typer.Option(None, "--rounds", help="rounds YAML (deploy/bench/); fields it leaves out "
                                                             "come from the options above"),
          sweep: str = typer.Option(None, "--sweep", help="PARAM=v1,v2,...: a fresh network per value; PARAM is "
                                                          "batch_timeout_ms, max_message_count, peers or endorsement"),
          option: list[str] = typer.Option([], "--option", help="workload option key=value (repeatable)"),
          free_ports: bool = typer.Option(False, "--free-ports", help="move every node to free loopback ports"),
          as_json: bool = JsonOption,
          ) -> None:
    """Run benchmark rounds and write results.json, rounds.csv and report.html into --out."""
    try:
        base = read_network(network)
        options = dict(item.split("=", 1) for item in option if "=" in item)
        specs = load_rounds(rounds, {"workload": workload, "rate_control": rate_control, "duration": duration,
                                     "workers": workers, "options": options})
        runs = plan_runs(base, parse_sweep(sweep) if sweep else None, out, local, free_ports)
    except (BenchConfigError, NetworkConfigError, ValueError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None

    shown = err if as_json else console  # with --json, stdout carries the JSON document only
    document: dict = {"tool": "gridledger bench", "command": " ".join(["gridledger", *sys.argv[1:]]),
                      "started_utc": datetime.now(UTC).isoformat(timespec="seconds"), "machine": describe()}
    with shown.status("measuring Ed25519 sign and verify (PyNaCl)..."):
        cost = crypto.measure()
    document["crypto_cost"] = crypto_summary(cost)
    document["runs"] = []
    outputs: list[list[RoundOutput]] = []
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TextColumn("{task.fields[stats]}"))
    with Progress(*columns, console=shown) as progress:
        reporter = RichProgress(progress)
        for run in runs:
            run_outputs = asyncio.run(run_network(run, specs, cost, reporter))
            outputs.append(run_outputs)
            document["runs"].append({"label": run.label, "sweep": run.sweep, "network_file": str(run.network_file),
                                     "topology": describe_topology(run.network, run.nodes.runtime),
                                     "crypto_bound": network_bound(run.network, cost),
                                     "rounds": [o.result for o in run_outputs]})
    paths = [write_json(document, out / "results.json"), write_csv(document["runs"], out / "rounds.csv"),
             write_html(document, outputs, out / "report.html")]
    if as_json:  # Caliper's columns per round, every one of them (results.json has everything)
        print_json([{"network": run["label"], "round": result["label"],
                     **dict(zip((header for header, _ in SUMMARY), summary_row(result), strict=True))}
                    for run in document["runs"] for result in run["rounds"]])
    else:
        console.print(results_table(document["runs"]))
    err.print("wrote " + ", ".join(str(p) for p in paths))
