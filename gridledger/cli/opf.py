"""`gridledger opf run`: ADMM optimal power flow experiments (lab/opf), each against its centralised optimum;
`gridledger opf onchain`: ADMM iterations through the aggregator chaincode, timed per phase, billed if converged;
`gridledger opf verify RUN`: the aggregator's steps and the bill recomputed from a running network's ledger."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from gridledger.cli.ledger import check_local_contract
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.common.opf import AdmmConfig
from gridledger.common.opf.billing import BillingConfig
from gridledger.lab.experiment.spec import NetworkOverrides, SpecError
from gridledger.lab.opf.distributed import Iteration
from gridledger.lab.opf.ledger_run import PHASES
from gridledger.lab.opf.onchain import CHAINCODE, run_on_chain
from gridledger.lab.opf.report import write_opf_report
from gridledger.lab.opf.runner import run_opf, scenario_of
from gridledger.lab.opf.solvers import OpfExtraMissing
from gridledger.lab.opf.spec import load_opf_spec
from gridledger.lab.opf.verify import verify_run

REPORT = "opf-report.html"
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
    report = write_opf_report([out / name for name in summaries], out / REPORT)
    if as_json:
        print_json({"runs": {name: {"folder": str(out / name), **s} for name, s in summaries.items()},
                    "report": str(report)})
        return
    table = Table("run", "central cost", "ADMM cost", "gap", "iterations", "converged", "s/iteration (solve)",
                  "s/iteration (aggregate)")
    for name, s in summaries.items():
        table.add_row(name, f"{s['central_cost']:.4f}", f"{s['admm_cost']:.4f}", f"{100 * s['gap']:+.3f}%",
                      str(s["iterations"]), str(s["converged"]), f"{s['solve_seconds_per_iteration']:.3f}",
                      f"{s['aggregate_seconds_per_iteration']:.4f}")
    console.print(table)
    console.print(f"results in {out}; report: {report}")


def report_opf_runs(run_dirs: list[Path], out: Path, as_json: bool) -> None:
    """opf-report.html over finished runs (`gridledger experiment report`)."""
    report = write_opf_report(run_dirs, out / REPORT)
    if as_json:
        print_json({"runs": [str(run_dir) for run_dir in run_dirs], "report": str(report)})
    else:
        console.print(f"report: {report}")


@opf_app.command("run")
def run(specs: list[Path] = typer.Argument(..., help="OPF specs (deploy/experiments/opf-*.yaml)"),
        out: Path = typer.Option(Path("results"), "--out", help="folder for the run directories"),
        quick: bool = typer.Option(False, "--quick", help="the spec's reduced size (fewer time steps)"),
        as_json: bool = JsonOption) -> None:
    """Run OPF experiments; the same as `gridledger experiment run` with `kind: opf` specs."""
    run_opf_experiments(specs, out, quick, as_json)


@opf_app.command("onchain")
def onchain(spec_path: Path = typer.Argument(..., help="an OPF spec (deploy/experiments/opf-*.yaml)"),
            network: Path = typer.Option(Path("deploy/networks/default.yaml"), "--network",
                                         help="the network definition to start fresh for the run"),
            iterations: int = typer.Option(20, "--iterations", min=1, help="stop after this many iterations"),
            batch_timeout_ms: int | None = typer.Option(None, "--batch-timeout-ms", min=1, max=60_000,
                                                        help="replace the network's block cutting timeout"),
            out: Path = typer.Option(Path("results"), "--out", help="folder for the run directory"),
            quick: bool = typer.Option(False, "--quick", help="the spec's reduced size (fewer time steps)"),
            keep: bool = typer.Option(False, "--keep", help="leave the network running (for `opf verify`)"),
            as_json: bool = JsonOption) -> None:
    """Run ADMM iterations through the aggregator chaincode on a fresh local network, one identity per bus, and
    write the seconds of each phase per iteration (onchain.csv): reading targets, solving, submitting, closing.
    A run that converges is billed (bill.json): simulated meters, one settlement through the token chaincode."""
    try:
        spec = load_opf_spec(spec_path, quick)
        run_dir = out / f"{spec.name}-onchain"
        outcome = run_on_chain(scenario_of(spec), AdmmConfig(spec.name, **spec.admm.model_dump()), network,
                               run_dir, iterations, NetworkOverrides(batch_timeout_ms=batch_timeout_ms),
                               BillingConfig(generator_a=spec.generator.a, generator_b=spec.generator.b), keep=keep)
    except (SpecError, OpfExtraMissing) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    rows = outcome.rows
    if outcome.settlement is not None:
        (run_dir / "bill.json").write_text(json.dumps(outcome.settlement, indent=2) + "\n")
    with (run_dir / "onchain.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    later = rows[1:] or rows  # the first iteration includes compiling the agents' problems
    means = {key: sum(row[key] for row in later) / len(later) for key in PHASES}
    if as_json:
        print_json({"folder": str(run_dir), "iterations": len(rows), "converged": rows[-1]["converged"],
                    "billed": outcome.settlement is not None, "mean_seconds_after_the_first": means})
        return
    table = Table("phase", "mean seconds per iteration (after the first)")
    for key, value in means.items():
        table.add_row(key, f"{value:.3f}")
    console.print(table)
    console.print(f"{len(rows)} iterations; per iteration on the ledger (read + submit + close): "
                  f"{means['read_seconds'] + means['submit_seconds'] + means['close_seconds']:.3f} s; {run_dir}")
    if outcome.settlement is not None:
        console.print(f"converged and billed: {run_dir / 'bill.json'}")
    if keep:
        console.print(f"the network is still running: `gridledger opf verify {spec.name} --data-dir "
                      f"{run_dir / 'network'}`")


@opf_app.command("verify")
def verify(run_id: str = typer.Argument(..., help="the run id (the spec's name)"),
           data_dir: Path = typer.Option(Path(".gridledger"), "--data-dir", help="the running network's folder"),
           as_json: bool = JsonOption) -> None:
    """Recompute every aggregator step from the copies on the ledger, and the prices, schedule and bill."""

    result = check_local_contract(data_dir, CHAINCODE, lambda contract: verify_run(contract, run_id))
    if as_json:
        print_json({"run": run_id, "iterations": result.iterations, "converged": result.converged,
                    "billing": result.billing, "ok": result.ok, "problems": result.problems})
    elif result.ok:
        console.print(f"[green]run {run_id}: {result.iterations} iterations (converged: {result.converged}), "
                      f"billing {result.billing}: verified[/green]")
    else:
        console.print(f"[red]run {run_id}: {escape('; '.join(result.problems))}[/red]")
    if not result.ok:
        raise typer.Exit(1)
