"""The `gridledger` command line. Each sub-command group lives in its own module; this file only assembles them."""

from __future__ import annotations

import signal

import typer

from gridledger.cli.agents import agents_app
from gridledger.cli.bench import bench
from gridledger.cli.chain import chaincode_app, invoke, ledger_app, query
from gridledger.cli.chaos import chaos_app
from gridledger.cli.demo import demo
from gridledger.cli.dsm import dsm_app
from gridledger.cli.experiment import experiment_app
from gridledger.cli.market import market_app
from gridledger.cli.network import network_app
from gridledger.cli.opf import opf_app
from gridledger.cli.rest import rest_app  # the CLI assembles every role's commands, services' too
from gridledger.cli.setup import channel_app, crypto_app
from gridledger.cli.trace import trace_app

app = typer.Typer(help="gridledger: a permissioned-blockchain testbed for local energy markets.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(crypto_app, name="crypto")
app.add_typer(channel_app, name="channel")
app.add_typer(network_app, name="network")
app.add_typer(chaincode_app, name="chaincode")
app.add_typer(ledger_app, name="ledger")
app.add_typer(experiment_app, name="experiment")
app.add_typer(agents_app, name="agents")
app.add_typer(market_app, name="market")
app.add_typer(dsm_app, name="dsm")
app.add_typer(opf_app, name="opf")
app.add_typer(rest_app, name="rest")
app.add_typer(trace_app, name="trace")
app.add_typer(chaos_app, name="chaos")
app.command("invoke")(invoke)
app.command("query")(query)
app.command("demo")(demo)
app.command("bench")(bench)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main() -> None:
    """The console script. SIGTERM (a timeout, a CI runner, `kill`) unwinds like Ctrl-C: the commands that start a
    network for themselves (bench, chaos, experiment, demo) stop its processes on the way out instead of leaving
    them running; commands that serve until stopped install their own handlers."""
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    app()
