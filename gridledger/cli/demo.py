"""`gridledger demo`: the main job in one command. Runs the quick Configuration 2 experiment: starts default.yaml
(3 Raft orderers, 2 orgs x 2 peers) as local processes, deploys the token and market chaincode, lets 63 households
from the shipped sample trace bid, reveal, report and settle for a few slots, verifies the ledger, prints the
results table and the path of report.html, and stops the network.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gridledger.cli.experiment import run_specs, summarise

DEFAULT_SPEC = Path("deploy/experiments/config2.yaml")


def demo(spec: Path = typer.Option(DEFAULT_SPEC, "--spec", help="the experiment to run in its --quick size"),
         out: Path = typer.Option(Path("results/demo"), "--out", help="where the run and report.html go")) -> None:
    """Run the market demo end to end (a few minutes)."""
    summarise(run_specs([spec], out, quick=True), out)
