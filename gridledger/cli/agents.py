"""`gridledger agents serve`: run a slice of an experiment's households in this process (what the experiment
runner starts for `--agents local:N|docker:N`; lab/agents/serve.py does the work)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.markup import escape

from gridledger.cli.output import console, err
from gridledger.lab.agents.serve import AgentSettings, ServedSlice
from gridledger.lab.agents.slice import SliceError, parse_range, read_slice
from gridledger.lab.experiment.runner import select_trace
from gridledger.lab.experiment.spec import SpecError, load_spec
from gridledger.lab.traces import TraceError
from gridledger.sdk import GridLedgerError

agents_app = typer.Typer(help="Run market agents in their own process.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(2)


@agents_app.command("serve")
def serve(spec_path: Path = typer.Option(..., "--spec", help="the experiment spec (as the runner wrote it)"),
          households: str = typer.Option(..., "--households", help="FIRST-LAST of the community, e.g. 0-249"),
          slice_dir: Path = typer.Option(..., "--slice", help="the slice folder: the households' keys, gateways"),
          out: Path = typer.Option(..., "--out", help="folder for transactions.csv and progress.log"),
          quick: bool = typer.Option(False, "--quick", help="the spec's reduced size, as `experiment run --quick`"),
          started_at: float = typer.Option(None, "--started-at",
                                           help="the run's start (Unix seconds), so times line up with the runner's"),
          ) -> None:
    """Act for households FIRST-LAST of the spec's community: bid, reveal and report in every slot, following
    the market's clock on the chain; exits once the last slot's reveals are done."""
    try:
        spec = load_spec(spec_path)
        spec = spec.quickened() if quick else spec
        trace = select_trace(spec)
        chosen = parse_range(households, len(trace.households))
        slice_ = read_slice(slice_dir)
        members = slice_.select(chosen)
    except (SpecError, TraceError, SliceError) as exc:
        raise _fail(str(exc)) from None
    expected = trace.households[chosen.start:chosen.stop]
    if [member.id for member in members] != expected:
        raise _fail(f"{slice_dir}: the slice's households {members[0].id}..{members[-1].id} are not households "
                    f"{households} of {spec_path}'s community ({expected[0]}..{expected[-1]})")
    if not out.is_dir():
        raise _fail(f"--out {out}: no such folder")
    settings = AgentSettings(spec.market_id, spec.agents.strategy, spec.agents.alpha, spec.agents.retries,
                             spec.agents.seed)
    served = ServedSlice(slice_, members, trace, settings, out, started_at)
    try:
        records = asyncio.run(served.run())
    except (GridLedgerError, TimeoutError) as exc:
        raise _fail(f"agents for households {households} stopped: {exc}") from None
    console.print(f"households {households}: {len(served.log.records)} transaction attempts in {records}")


if __name__ == "__main__":  # the runner's local agent processes: python -m gridledger.cli.agents agents serve ...
    from gridledger.cli.app import main  # the whole command line, as the image's `cli` runs it

    main()
