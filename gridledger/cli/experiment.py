"""`gridledger experiment run SPEC... | report DIR...`: market experiments on household traces."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from gridledger.cli.setup import console
from gridledger.lab.experiment.metrics import compute, metrics_table
from gridledger.lab.experiment.report import write_report
from gridledger.lab.experiment.rundata import RunFileError, load_run
from gridledger.lab.experiment.runner import run_experiment
from gridledger.lab.experiment.spec import ExperimentSpec, SpecError, load_spec
from gridledger.lab.traces import TraceError

experiment_app = typer.Typer(help="Run market experiments and report their results.", no_args_is_help=True)


class ProgressBars:
    """One bar per kind of work a run reports (network start, deployment, slots, transactions)."""

    def __init__(self, bars: Progress, name: str) -> None:
        self._bars = bars
        self._name = name
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self._tasks:
            self._tasks[what] = self._bars.add_task(f"{self._name}: {what}", total=total or None)
        self._bars.update(self._tasks[what], completed=done, total=total or None)


def _load(path: Path, quick: bool) -> ExperimentSpec:
    try:
        spec = load_spec(path)
    except SpecError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    return spec.quickened() if quick else spec


def run_specs(specs: list[Path], out: Path, quick: bool, keep: bool = False) -> list[Path]:
    """Run each spec in turn with a progress display; return the run directories. With `keep` the last network
    stays up (each run needs its own network, so earlier ones are stopped when the next starts)."""
    run_dirs = []
    loaded = [_load(path, quick) for path in specs]
    for number, spec in enumerate(loaded, start=1):
        last = number == len(loaded)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bars:
            try:
                run_dir = run_experiment(spec, out, ProgressBars(bars, spec.name), keep_network=keep and last)
            except TraceError as exc:
                console.print(f"[red]{exc}[/red]\nBuild the trace with `gridledger trace build` (the spec's "
                              "header says how), point trace.path at another one, or run with --quick.")
                raise typer.Exit(2) from None
        console.print(f"{spec.name}: done, results in {run_dir}")
        if keep and last:
            console.print(f"its network is still running: `gridledger market verify {spec.name.replace('.', '-')} 0 "
                          f"--data-dir {run_dir / 'network'}`; stop it with `gridledger network down --data-dir "
                          f"{run_dir / 'network'}`")
        run_dirs.append(run_dir)
    return run_dirs


def summarise(run_dirs: list[Path], out: Path) -> Path:
    """Print the metrics table and write report.html comparing the runs."""
    try:
        metrics = [compute(load_run(run_dir)) for run_dir in run_dirs]
    except RunFileError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    console.print(metrics_table(metrics))
    report = write_report(run_dirs, out / "report.html")
    console.print(f"report: {report}")
    return report


@experiment_app.command("run")
def run(specs: list[Path] = typer.Argument(..., help="experiment spec files (deploy/experiments/*.yaml)"),
        out: Path = typer.Option(Path("results"), "--out", help="folder for the run directories"),
        quick: bool = typer.Option(False, "--quick", help="the spec's reduced size (63 households, a few slots)"),
        keep: bool = typer.Option(False, "--keep", help="leave the last run's network up (to inspect or verify)"),
        ) -> None:
    """Run experiments one after another, each on a fresh local network, then report them together."""
    summarise(run_specs(specs, out, quick, keep), out)


@experiment_app.command("report")
def report(run_dirs: list[Path] = typer.Argument(..., help="run directories written by `experiment run`"),
           out: Path = typer.Option(None, "--out", help="where report.html goes (default: next to the runs)"),
           ) -> None:
    """Recompute the metrics of finished runs and write report.html."""
    summarise(run_dirs, out or run_dirs[0].parent)
