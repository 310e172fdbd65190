"""Running experiment specs from the command line: a spec checked before any network starts, one progress bar
per kind of work and a line per finished stage, and the errors a run can end with turned into what to do."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, Self, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from gridledger.cli.output import err
from gridledger.cli.setup import missing_network, read_network
from gridledger.lab.experiment.spec import SpecError
from gridledger.lab.traces import TraceError
from gridledger.ops.localnet import NetworkError


class ProgressBars:
    """One bar per kind of work a run reports (network start, deployment, slots, transactions), and a line when
    a stage is done, so a log (no terminal, no bars) shows the run's progress too."""

    def __init__(self, bars: Progress, name: str) -> None:
        self._bars = bars
        self._name = name
        self._tasks: dict[str, TaskID] = {}
        self._started = time.monotonic()

    def __call__(self, what: str, done: int, total: int) -> None:
        if what not in self._tasks:
            self._tasks[what] = self._bars.add_task(f"{self._name}: {what}", total=total or None)
        self._bars.update(self._tasks[what], completed=done, total=total or None)
        if total and done == total:
            self._bars.console.print(f"{self._name}: {what}: done ({done}/{total}) at "
                                     f"{time.monotonic() - self._started:.1f} s")



class RunnableSpec(Protocol):
    network: Path

    def quickened(self) -> Self: ...


Spec = TypeVar("Spec", bound=RunnableSpec)


def load_runnable(path: Path, load: Callable[[Path], Spec], quick: bool) -> Spec:
    """The spec at `path` (its `--quick` form with `quick`), or exit 2 saying what is wrong with it or with the
    network definition it names: checked before any network starts."""
    try:
        spec = load(path)
    except SpecError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if not spec.network.exists():
        err.print(f"[red]{escape(f'{path}: network: {missing_network(spec.network)}')}[/red]")
        raise typer.Exit(2)
    read_network(spec.network)
    return spec.quickened() if quick else spec


def run_with_bars(name: str, shown: Console, run: Callable[[ProgressBars], Path]) -> Path:
    """`run(bars)` under a live progress display; a missing trace or a failed network exits with what to do."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=shown, transient=True) as bars:
        try:
            return run(ProgressBars(bars, name))
        except TraceError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]\nBuild the trace with `gridledger trace build` (the "
                      "spec's header says how), point trace.path at another one, or run with --quick.")
            raise typer.Exit(2) from None
        except NetworkError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(1) from None
