"""`gridledger opf run`: ADMM optimal power flow experiments (lab/opf), each against its centralised optimum."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.lab.experiment.spec import SpecError
from gridledger.lab.opf.distributed import Iteration
from gridledger.lab.opf.runner import run_opf
from gridledger.lab.opf.solvers import OpfExtraMissing
from gridledger.lab.opf.spec import load_opf_spec

opf_app = typer.Typer(help="Decentralised optimal power flow by ADMM (docs/opf.md).", no_args_is_help=True)


def _progress(name: str) -> Callable[[Iteration], None]:
    """Print every 25th iteration's residuals to stderr, so a long run shows how it converges."""
    def show(iteration: Iteration) -> None:
        if iteration.number % 25 == 0:
            err.print(f"{name}: iteration {iteration.number}: primal {iteration.primal:.2e}, dual "
                      f"{iteration.dual:.2e}, generator cost {iteration.cost:.4f}, {iteration.solve_seconds:.2f} s")
    return show


def run_opf_experiments(specs: list[Path], out: Path, quick: bool, as_json: bool) -> None:
    """Run OPF specs one after another and print each run's gap, iterations and seconds per iteration."""
    try:
        loaded = [load_opf_spec(path, quick) for path in specs]
        summaries = {spec.name: run_opf(spec, out, _progress(spec.name)) for spec in loaded}
    except (SpecError, OpfExtraMissing) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    if as_json:
        print_json({"runs": {name: {"folder": str(out / name), **s} for name, s in summaries.items()}})
        return
    table = Table("run", "central cost", "ADMM cost", "gap", "iterations", "converged", "s/iteration (solve)",
                  "s/iteration (aggregate)")
    for name, s in summaries.items():
        table.add_row(name, f"{s['central_cost']:.4f}", f"{s['admm_cost']:.4f}", f"{100 * s['gap']:+.3f}%",
                      str(s["iterations"]), str(s["converged"]), f"{s['solve_seconds_per_iteration']:.3f}",
                      f"{s['aggregate_seconds_per_iteration']:.4f}")
    console.print(table)
    console.print(f"results in {out}")


@opf_app.command("run")
def run(specs: list[Path] = typer.Argument(..., help="OPF specs (deploy/experiments/opf-*.yaml)"),
        out: Path = typer.Option(Path("results"), "--out", help="folder for the run directories"),
        quick: bool = typer.Option(False, "--quick", help="the spec's reduced size (fewer time steps)"),
        as_json: bool = JsonOption) -> None:
    """Run OPF experiments; the same as `gridledger experiment run` with `kind: opf` specs."""
    run_opf_experiments(specs, out, quick, as_json)
