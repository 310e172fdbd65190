"""`gridledger trace ...`: build household traces from SimBench profiles and summarise trace files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.lab.traces import TraceError, load_trace, trace_stats
from gridledger.lab.traces.build import BuildRequest, write_trace
from gridledger.lab.traces.households import SLOTS_PER_DAY, HouseholdOptions
from gridledger.lab.traces.simbench_source import SimbenchFormatError, SimbenchMissing, load_profiles

trace_app = typer.Typer(help="Household traces: meter readings and grid prices per household and slot.",
                        no_args_is_help=True)


@trace_app.command("build")
def build(
    households: int = typer.Option(..., "--households", min=1, help="number of households"),
    days: int = typer.Option(..., "--days", min=1, help="days of 96 slots of 15 min"),
    seed: int = typer.Option(..., "--seed", help="seed for the households' profiles, sizes and shifts"),
    out: Path = typer.Option(..., "--out", help="CSV file to write"),
    start_day: int = typer.Option(0, "--start-day", min=0, help="first day in the SimBench year (0 = 1 Jan 2016)"),
    lo: str = typer.Option("3.4", "--lo", help="grid buy (feed-in) price, c/kWh"),
    hi: str = typer.Option("10.84", "--hi", help="grid sell (retail) price, c/kWh"),
    pv_share: float = typer.Option(1.0, "--pv-share", help="probability that a household has PV (0..1)"),
    kwp_min: float = typer.Option(3.0, "--kwp-min", help="smallest PV system, kWp"),
    kwp_max: float = typer.Option(8.0, "--kwp-max", help="largest PV system, kWp"),
    annual_kwh_min: float = typer.Option(3000.0, "--annual-kwh-min", help="smallest annual consumption, kWh"),
    annual_kwh_max: float = typer.Option(6000.0, "--annual-kwh-max", help="largest annual consumption, kWh"),
) -> None:
    """Build a trace (id,slot,gen,grid,use,lo,hi) from SimBench household load and PV profiles (ODbL)."""
    try:
        request = BuildRequest(households, days, seed, start_day, _cents(lo, "--lo"), _cents(hi, "--hi"),
                               HouseholdOptions(pv_share, kwp_min, kwp_max, annual_kwh_min, annual_kwh_max))
    except ValueError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from None
    try:
        with err.status("reading SimBench profiles..."):
            profiles = load_profiles()
    except (SimbenchMissing, SimbenchFormatError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
    columns = (TextColumn("slots"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err) as progress:
        task = progress.add_task("build", total=days * SLOTS_PER_DAY)
        write_trace(out, request, profiles, lambda: progress.advance(task))
    with err.status("checking the trace..."):
        stats = trace_stats(load_trace(out))  # read back: what we wrote must pass the loader
    console.print(f"wrote {escape(str(out))}: {stats.households} households x {stats.slots} slots, "
                  f"use {stats.use_wh / 1000:.1f} kWh, gen {stats.gen_wh / 1000:.1f} kWh (simbench {profiles.version})")


def _cents(text: str, option: str) -> Decimal:
    """A price option as an exact decimal, so 10.84 stays 10.84 and becomes 10840 mc/kWh."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ValueError(f"{option} {text!r} is not a number (c/kWh)") from None
    if not value.is_finite():
        raise ValueError(f"{option} {text!r} is not a finite number (c/kWh)")
    return value


@trace_app.command("info")
def info(file: Path = typer.Argument(..., help="trace CSV"), as_json: bool = JsonOption) -> None:
    """Validate a trace and show its households, slots, total use and generation and PV share."""
    try:
        trace = load_trace(file)
    except TraceError as exc:
        err.print(f"[red]invalid trace[/red]\n{escape(str(exc))}")
        raise typer.Exit(2) from None
    stats = trace_stats(trace)
    if as_json:
        print_json({"file": str(file), "households": stats.households, "slots": stats.slots,
                    "first_slot": trace.slots[0], "last_slot": trace.slots[-1], "use_wh": stats.use_wh,
                    "gen_wh": stats.gen_wh, "pv_share": stats.pv_share})
        return
    table = Table("households", "slots", "use (kWh)", "gen (kWh)", "PV share", title=escape(str(file)))
    table.add_row(str(stats.households), f"{stats.slots} ({trace.slots[0]}..{trace.slots[-1]})",
                  f"{stats.use_wh / 1000:,.1f}", f"{stats.gen_wh / 1000:,.1f}", f"{stats.pv_share:.0%}")
    console.print(table)
