"""`gridledger experiment run SPEC... | report DIR...`: market and DSM experiments on household traces."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from gridledger.cli.dsm import report_dsm_runs, run_dsm_experiments
from gridledger.cli.opf import report_opf_runs, run_opf_experiments
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.cli.progress import load_runnable, run_with_bars
from gridledger.lab.agents.fleet import IN_RUNNER, AgentProcessError, Placement, parse_placement
from gridledger.lab.experiment.metrics import RunMetrics, compute, metrics_table
from gridledger.lab.experiment.report import write_report
from gridledger.lab.experiment.rundata import RunFileError, load_run
from gridledger.lab.experiment.runner import (
    COMPOSE_NODES,
    LOCAL_NODES,
    SWARM_NODES,
    PlacementError,
    run_experiment,
)
from gridledger.lab.experiment.spec import SpecError, load_spec, spec_kind
from gridledger.ops.docker import DockerError

EXPERIMENT_KINDS = ("market", "dsm", "opf")  # each kind's branch in `run` below

experiment_app = typer.Typer(help="Run market experiments and report their results.", no_args_is_help=True)


def stop_command(data_dir: Path) -> str:
    return f"gridledger network down --data-dir {data_dir}"


def run_specs(specs: list[Path], out: Path, quick: bool, keep: bool = False, shown: Console = console,
              network: Path | None = None, agents: Placement = IN_RUNNER, nodes: str = LOCAL_NODES) -> list[Path]:
    """Run each spec in turn with a progress display on `shown`; return the run directories. With `keep` the last
    network stays up (each run needs its own network, so earlier ones are stopped when the next starts); `network`
    replaces the specs' network definition; `agents` places the households' agents, `nodes` says where the
    networks' nodes run."""
    run_dirs = []
    loaded = [load_runnable(path, load_spec, quick) for path in specs]
    if network is not None:
        loaded = [spec.model_copy(update={"network": network}) for spec in loaded]
    for number, spec in enumerate(loaded, start=1):
        last = number == len(loaded)
        try:
            run_dir = run_with_bars(spec.name, shown, lambda bars, spec=spec, last=last: run_experiment(
                spec, out, bars, keep_network=keep and last, agents=agents, nodes=nodes))
        except (PlacementError, AgentProcessError, DockerError) as exc:
            err.print(f"[red]{spec.name}: {escape(str(exc))}[/red]")
            raise typer.Exit(2 if isinstance(exc, PlacementError) else 1) from None
        shown.print(f"{spec.name}: done, results in {run_dir}")
        if keep and last:
            shown.print(f"its network is still running: `gridledger market verify {spec.name.replace('.', '-')} 0 "
                        f"--data-dir {run_dir / 'network'}`; stop it with `{stop_command(run_dir / 'network')}`")
        run_dirs.append(run_dir)
    return run_dirs


def metrics_json(metrics: RunMetrics, ledger_verify: str) -> dict:
    return {**dataclasses.asdict(metrics), "internal_wh_per_household_slot": metrics.internal_wh_per_household_slot,
            "external_cost_ratio": metrics.external_cost_ratio, "ledger_verify": ledger_verify}


def summarise(run_dirs: list[Path], out: Path, as_json: bool = False, extra: dict | None = None) -> dict:
    """Write report.html comparing the runs and print the metrics table with each run's ledger verification (or,
    with `as_json`, one JSON document: the runs, the report and `extra`); return that document."""
    try:
        runs = [load_run(run_dir) for run_dir in run_dirs]
    except RunFileError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    metrics = [compute(run) for run in runs]
    verified = [str(run.spec.get("ledger_verify", "not recorded")) for run in runs]
    report = write_report(run_dirs, out / "report.html")
    document = {"runs": [metrics_json(m, v) for m, v in zip(metrics, verified, strict=True)],
                "report": str(report), **(extra or {})}
    if as_json:
        print_json(document)
        return document
    console.print(metrics_table(metrics))
    for run, outcome in zip(runs, verified, strict=True):
        if outcome == "ok":
            console.print(f"[green]{run.name}: ledger verified on every peer (hash chains, signatures, blocks and "
                          "state hashes agree)[/green]")
        else:
            console.print(f"[red]{run.name}: ledger verification failed: {escape(outcome)}[/red]")
    console.print(f"report: {report}")
    return document


@experiment_app.command("run")
def run(specs: list[Path] = typer.Argument(..., help="experiment spec files (deploy/experiments/*.yaml)"),
        out: Path = typer.Option(Path("results"), "--out", help="folder for the run directories"),
        quick: bool = typer.Option(False, "--quick", help="the spec's reduced size (63 households, a few slots)"),
        keep: bool = typer.Option(False, "--keep", help="leave the last run's network up (to inspect or verify)"),
        agents: str = typer.Option("inline", "--agents",
                                   help="market runs: the agents inside the runner (inline), in N local processes "
                                        "(local:N) or in N containers (docker:N, with --docker or --swarm)"),
        docker: bool = typer.Option(False, "--docker", help="market runs: the network in containers (Compose)"),
        swarm: bool = typer.Option(False, "--swarm", help="market runs: the network as a swarm stack (this engine "
                                   "a swarm manager, docs/multihost.md)"),
        as_json: bool = JsonOption) -> None:
    """Run experiments one after another, each on a fresh local network, then report them together. The specs'
    `kind` (market when absent) picks the runner; one command runs specs of one kind."""
    kind = common_kind(specs)
    try:
        placement = parse_placement(agents)
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if docker and swarm:
        err.print("[red]--docker and --swarm are two places for the network: choose one[/red]")
        raise typer.Exit(2)
    if kind != "market" and (placement != IN_RUNNER or docker or swarm):
        err.print(f"[red]--agents, --docker and --swarm apply to market experiments only; these specs are {kind}[/red]")
        raise typer.Exit(2)
    nodes = COMPOSE_NODES if docker else SWARM_NODES if swarm else LOCAL_NODES
    if kind == "market":
        summarise(run_specs(specs, out, quick, keep, shown=err if as_json else console, agents=placement,
                            nodes=nodes), out, as_json)
    elif kind == "dsm":
        run_dsm_experiments(specs, out, quick, keep, as_json)
    elif kind == "opf":
        run_opf_experiments(specs, out, quick, as_json)


def common_kind(specs: list[Path]) -> str:
    """The one experiment kind of `specs`, or exit with a message saying which spec differs or is unknown."""
    try:
        kinds = {path: spec_kind(path) for path in specs}
    except SpecError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    for path, kind in kinds.items():
        if kind not in EXPERIMENT_KINDS:
            err.print(f"[red]{escape(f'{path}: kind: {kind!r} is not an experiment kind')}[/red] "
                      f"(known: {', '.join(EXPERIMENT_KINDS)})")
            raise typer.Exit(2)
    if len(set(kinds.values())) > 1:
        listed = ", ".join(f"{path} is {kind}" for path, kind in kinds.items())
        err.print(f"[red]one run takes specs of one kind: {escape(listed)}[/red]; run each kind on its own")
        raise typer.Exit(2)
    return next(iter(kinds.values()))


@experiment_app.command("report")
def report(run_dirs: list[Path] = typer.Argument(..., help="run directories written by `experiment run`"),
           out: Path = typer.Option(None, "--out", help="where report.html goes (default: next to the runs)"),
           as_json: bool = JsonOption) -> None:
    """Recompute the metrics of finished runs and write report.html (dsm-report.html for DSM runs,
    opf-report.html for OPF runs)."""
    folder = out or run_dirs[0].parent
    if all(run_kind(run_dir) == "dsm" for run_dir in run_dirs):
        report_dsm_runs(run_dirs, folder, as_json)
    elif all(run_kind(run_dir) == "opf" for run_dir in run_dirs):
        report_opf_runs(run_dirs, folder, as_json)
    else:
        summarise(run_dirs, folder, as_json)


def run_kind(run_dir: Path) -> str:
    """The kind a run directory's spec.json records (market runs predate the field)."""
    try:
        return str(json.loads((run_dir / "spec.json").read_text()).get("kind", "market"))
    except (OSError, ValueError):
        return "market"  # the market's reader says precisely what is missing
