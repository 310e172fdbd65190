"""`gridledger dsm verify NB DAY...`, and the DSM branch of `gridledger experiment run` (specs with `kind: dsm`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from gridledger.cli.ledger import check_local_contract
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.cli.progress import load_runnable, run_with_bars
from gridledger.lab.dsm.ledger import Ledger
from gridledger.lab.dsm.report import write_dsm_report
from gridledger.lab.dsm.results import DayRow, read_rows
from gridledger.lab.dsm.runner import run_dsm_experiment
from gridledger.lab.dsm.spec import load_dsm_spec
from gridledger.lab.dsm.verify import DayCheck, verify_day
from gridledger.sdk.gateway import Contract

DSM = "dsm"
dsm_app = typer.Typer(help="Demand-side management by Profile Steering: verify planned days.",
                      no_args_is_help=True)


def summary_table(run_dirs: list[Path]) -> Table:
    table = Table(title="Profile Steering per planning day (means over the run's days)")
    for column in ("run", "method", "days", "houses", "iterations", "setup s", "PS s", "consensus s", "total s",
                   "tx/day", "peak reduction %", "same as central"):
        table.add_column(column, justify="left" if column in ("run", "method") else "right")
    for run_dir in run_dirs:
        days = read_rows(run_dir / "days.csv", DayRow)
        for method in dict.fromkeys(row.method for row in days):
            rows = [row for row in days if row.method == method]

            def mean(values: list[float]) -> float:
                return sum(values) / len(values)

            reduction = mean([100 * (r.peak_before_w - r.peak_after_w) / r.peak_before_w for r in rows
                              if r.peak_before_w])
            table.add_row(run_dir.name, method, str(len(rows)), str(rows[0].houses),
                          f"{mean([r.iterations for r in rows]):.1f}", f"{mean([r.setup_s for r in rows]):.2f}",
                          f"{mean([r.iterations_s for r in rows]):.2f}", f"{mean([r.consensus_s for r in rows]):.2f}",
                          f"{mean([r.total_s for r in rows]):.2f}", f"{mean([r.transactions for r in rows]):.0f}",
                          f"{reduction:.1f}", "yes" if all(r.identical_to_central for r in rows) else "NO")
    return table


def run_dsm_experiments(specs: list[Path], out: Path, quick: bool, keep: bool, as_json: bool) -> None:
    """Run DSM specs one after another, each on a fresh local network, then print and report them together."""
    loaded = [load_runnable(path, load_dsm_spec, quick) for path in specs]
    shown = err if as_json else console
    run_dirs = []
    for number, spec in enumerate(loaded, start=1):
        last = number == len(loaded)
        run_dirs.append(run_with_bars(spec.name, shown, lambda bars, spec=spec, last=last: run_dsm_experiment(
            spec, out, bars, keep_network=keep and last)))
        shown.print(f"{spec.name}: done, results in {run_dirs[-1]}")
    report_dsm_runs(run_dirs, out, as_json)
    if keep and not as_json:
        console.print(f"the last network is still running: `gridledger dsm verify NEIGHBOURHOOD DAY --data-dir "
                      f"{run_dirs[-1] / 'network'}` (neighbourhoods are listed in spec.json)")


def report_dsm_runs(run_dirs: list[Path], out: Path, as_json: bool) -> None:
    """dsm-report.html over finished runs, and their summary table (or, with `as_json`, where the report is)."""
    report = write_dsm_report(run_dirs, out / "dsm-report.html")
    if as_json:
        print_json({"runs": [str(run_dir) for run_dir in run_dirs], "report": str(report)})
        return
    console.print(summary_table(run_dirs))
    console.print(f"report: {report}")


@dsm_app.command("verify")
def verify(neighbourhood: str = typer.Argument(..., help="neighbourhood id (a run's spec.json lists them)"),
           days: list[int] = typer.Argument(..., help="planning days to recompute"),
           data_dir: Path = typer.Option(Path(".gridledger"), "--data-dir", help="the running network's folder"),
           as_json: bool = JsonOption) -> None:
    """Recompute planned days from the ledger (method 1: every plan again; method 2: what the record proves)."""

    async def check_all(contract: Contract) -> list[DayCheck]:
        reader = Ledger(contract)
        return [await verify_day(reader, neighbourhood, day) for day in days]

    checks = check_local_contract(data_dir, DSM, check_all)
    if as_json:
        print_json([{"day": c.day, "method": c.method, "houses": c.houses, "iterations": c.iterations,
                     "ok": c.ok, "problems": c.problems} for c in checks])
    for check in checks:
        if as_json:
            break
        if check.ok:
            console.print(f"[green]day {check.day} ({check.method}, {check.houses} houses, {check.iterations} "
                          "iterations): verified[/green]")
        else:
            console.print(f"[red]day {check.day}: {escape('; '.join(check.problems))}[/red]")
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
