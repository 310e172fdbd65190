"""`gridledger demo`: the main job in one command. Runs the quick Configuration 2 experiment: starts default.yaml
(3 Raft orderers, 2 orgs x 2 peers) as local processes, deploys the token and market chaincode, lets 63 households
from the shipped sample trace bid, reveal, report and settle for a few slots, verifies the ledger, prints the
results table with the verification and the path of report.html, and stops the network; with --keep the network
stays up with a REST service per organisation, and its URLs are printed.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from gridledger.cli.experiment import run_specs, stop_command, summarise
from gridledger.cli.network import fail, rest_json, status_table
from gridledger.cli.output import JsonOption, console, err
from gridledger.ops.localnet import LocalNetwork, NetworkError
from gridledger.services.rest.dashboard import dashboard_url

DEFAULT_SPEC = Path("deploy/experiments/config2.yaml")
REST_TIMEOUT_S = 30.0


def kept_network(data_dir: Path, as_json: bool) -> dict:
    """Start the REST services of a network the demo left up, print where everything is and how to stop it, and
    return the same as data (for --json)."""
    local = LocalNetwork(data_dir)
    try:
        network = local.definition()
        with (err if as_json else console).status("starting the REST services..."):
            for msp_id in network.peer_msp_ids:
                local.start_rest(network, msp_id)
            rest = local.wait_rest_healthy(network, REST_TIMEOUT_S)
        nodes = local.status(network)
    except NetworkError as exc:
        raise fail(exc) from None
    stop = stop_command(data_dir)
    if not as_json:
        console.print(status_table(nodes))
        for service in rest:
            console.print(f"REST API of {service.msp_id}: {service.url} (OpenAPI docs: {service.docs_url}); "
                          f"live dashboard: {dashboard_url(service.url)}")
        console.print(f"the network keeps running with its data in {data_dir}; every command takes "
                      f"--data-dir {data_dir}; stop it with `{stop}`")
    return {"network": {"data_dir": str(data_dir), "nodes": [asdict(n) for n in nodes],
                        "rest": rest_json(rest), "stop": stop}}


def demo(spec: Path = typer.Option(DEFAULT_SPEC, "--spec", help="the experiment to run in its --quick size"),
         out: Path = typer.Option(Path("results/demo"), "--out", help="where the run and report.html go"),
         keep: bool = typer.Option(False, "--keep", help="leave the network up, with a REST service per "
                                   "organisation, and print its URLs and how to stop it"),
         network: Path | None = typer.Option(None, "--network", help="run on this network definition instead "
                                             "of the spec's (e.g. deploy/networks/bft.yaml)"),
         as_json: bool = JsonOption) -> None:
    """Run the market demo end to end (a few minutes)."""
    run_dirs = run_specs([spec], out, quick=True, keep=keep, shown=err if as_json else console, network=network)
    if not keep:
        summarise(run_dirs, out, as_json)
        return
    if as_json:
        summarise(run_dirs, out, as_json, extra=kept_network(run_dirs[-1] / "network", as_json))
    else:
        summarise(run_dirs, out)
        kept_network(run_dirs[-1] / "network", as_json)
