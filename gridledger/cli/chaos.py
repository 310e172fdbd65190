"""`gridledger chaos run`: a network under a bench workload while seeded fault schedules hit it, then healed and
judged (gridledger/lab/chaos; docs/reliability.md). Writes history.jsonl, result.json and report.html to --out
and exits 1 when any check failed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from gridledger.cli.output import console, err
from gridledger.cli.setup import read_network
from gridledger.lab.chaos.inject import Unsupported
from gridledger.lab.chaos.report import COLUMNS, schedule_row, summary, write_report
from gridledger.lab.chaos.runner import ChaosRunner, ChaosSpec, save_result
from gridledger.lab.chaos.schedule import KINDS

chaos_app = typer.Typer(help="Seeded fault schedules against a running network, judged from a recorded history.",
                        no_args_is_help=True)
CHAOS_WORKLOADS = ("kv-blind-write", "kv-read-write", "market-order")


def _kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in value.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise typer.BadParameter(f"unknown fault kind(s) {', '.join(unknown) or '(none)'}; choose from "
                                 f"{', '.join(KINDS)}")
    return kinds


@chaos_app.command("run")
def run(network: Path = typer.Option(..., "--network", help="network definition (YAML)"),
        local: bool = typer.Option(True, "--local/--docker", help="local processes (default) or containers"),
        seed: int = typer.Option(1, "--seed", help="seeds every schedule: the same seed draws the same faults"),
        schedules: int = typer.Option(3, "--schedules", min=1, max=10_000, help="schedules, one after another"),
        duration: float = typer.Option(10.0, "--duration", min=3.0, max=3600.0, help="seconds per schedule"),
        workload: str = typer.Option("kv-blind-write", "--workload",
                                     help=f"bench workload: {', '.join(CHAOS_WORKLOADS)}"),
        faults: str = typer.Option(",".join(KINDS), "--faults", help="fault kinds to draw from, comma-separated"),
        disk_full: bool = typer.Option(False, "--disk-full",
                                       help="local: put every node's data on a 96 MiB tmpfs (root) so disk-full "
                                            "can be drawn"),
        data_dir: Path = typer.Option(Path(".gridledger-chaos"), "--data-dir",
                                      help="a fresh folder for the run's network"),
        out: Path = typer.Option(Path("chaos-results"), "--out", help="folder for history, result and report"),
        keep: bool = typer.Option(False, "--keep", help="leave the network running afterwards")) -> None:
    """Start the network, run the schedules, heal, check; print one row per schedule."""
    read_network(network)
    if workload not in CHAOS_WORKLOADS:
        raise typer.BadParameter(f"unknown workload {workload!r}; choose from {', '.join(CHAOS_WORKLOADS)}",
                                 param_hint="--workload")
    if (data_dir / "network.json").exists():
        err.print(f"[red]{escape(str(data_dir))} already holds a network; a chaos run needs a fresh --data-dir[/red]")
        raise typer.Exit(2)
    spec = ChaosSpec(network_file=network.resolve(), data_dir=data_dir, out_dir=out,
                     orchestrator="local" if local else "docker", seed=seed, schedules=schedules,
                     duration_s=duration, workload=workload, kinds=_kinds(faults), disk_full=disk_full, keep=keep)
    try:
        result = asyncio.run(ChaosRunner(spec, lambda text: err.print(f"[dim]{escape(text)}[/dim]")).run())
    except Unsupported as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    table = Table(*COLUMNS)
    for schedule in result.schedules:
        table.add_row(*(str("" if value is None else value) for value in schedule_row(schedule)))
    console.print(table)
    console.print(summary(result))
    if result.final_problems:
        err.print("[red]final check:[/red] " + escape("; ".join(result.final_problems)))
    save_result(result, out)
    console.print(f"report: {write_report(result, out / 'history.jsonl', out / 'report.html')}")
    if not result.ok:
        raise typer.Exit(1)
