"""`gridledger network ...`: start, inspect and stop a network of local processes, containers (--docker) or a
swarm stack (--swarm); render a network for Compose, Swarm or Kubernetes."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.cli.setup import read_network
from gridledger.ops.docker import DockerNetwork, Layout
from gridledger.ops.docker.swarm import SwarmNetwork
from gridledger.ops.localnet import DEFAULT_DATA_DIR, LocalNetwork, NetworkError, NodeStatus, RestStatus
from gridledger.ops.netconfig import NetworkConfigError
from gridledger.ops.render.targets import TARGETS, render_to
from gridledger.services.rest.dashboard import dashboard_url

network_app = typer.Typer(help="Start, inspect and stop a network.", no_args_is_help=True)
DataDir = typer.Option(DEFAULT_DATA_DIR, "--data-dir", help="folder holding the network's material and data")
Project = typer.Option(None, "--project", help="--docker: compose project name (default gridledger-<network name>); "
                                                "--swarm: stack name (default gridledger-<network name>-swarm)")
Swarm = typer.Option(False, "--swarm", help="a Docker Swarm stack (docs/multihost.md) instead of --local/--docker")


def status_table(statuses: list[NodeStatus]) -> Table:
    table = Table("node", "role", "org", "address", "pid", "health", "height", "consensus", "operations")
    for s in statuses:
        health = "[green]healthy[/green]" if s.healthy else ("[yellow]starting[/yellow]" if s.running
                                                            else "[red]stopped[/red]")
        table.add_row(s.name, s.role, s.msp_id, s.address, str(s.pid or "-"), health,
                      "-" if s.height is None else str(s.height), s.consensus or "-", s.operations_url or "-")
    return table


def fail(exc: Exception) -> typer.Exit:
    err.print(f"[red]{escape(str(exc))}[/red]")
    return typer.Exit(1)


def rest_json(rest: list[RestStatus]) -> list[dict]:
    """Each REST service as the JSON outputs list it, with the URL of its live dashboard."""
    return [{**asdict(service), "dashboard_url": dashboard_url(service.url)} for service in rest]


def print_statuses(statuses: list[NodeStatus], rest: list[RestStatus], as_json: bool) -> None:
    """The node table, or with --json every node and REST service (local processes or containers)."""
    if as_json:
        print_json({"nodes": [asdict(s) for s in statuses], "rest": rest_json(rest)})
    else:
        console.print(status_table(statuses))


@network_app.command("up")
def up(network: Path = typer.Option(..., "--network", help="network definition"),
       data_dir: Path = DataDir,
       local: bool = typer.Option(True, "--local/--docker", help="local processes, or containers (docker compose)"),
       timeout: float = typer.Option(60.0, help="seconds to wait for every node to be healthy"),
       project: str = Project,
       image: str = typer.Option(None, "--image", help="--docker: image to run (default $GRIDLEDGER_IMAGE or "
                                                       "gridledger:latest, built by `make images`)"),
       swarm: bool = Swarm,
       as_json: bool = JsonOption) -> None:
    """Generate what is missing, start every orderer and peer (as its own process, its own container with
    --docker, or a swarm service with --swarm), wait until all are healthy."""
    read_network(network)
    rest: list[RestStatus] = []
    shown = err if as_json else console  # with --json, stdout carries the JSON document only
    try:
        if swarm:
            with shown.status("deploying the stack..."):
                statuses = SwarmNetwork(data_dir, project, image).up(network, timeout)
        elif local:
            local_network = LocalNetwork(data_dir)
            with shown.status("starting nodes..."):
                statuses = local_network.up(network, timeout)
            rest = local_network.rest_status()
        else:
            with shown.status("starting containers..."):
                containers = DockerNetwork(data_dir, project, image)
                statuses = containers.up(network, timeout)
            rest = containers.rest_status()
    except NetworkError as exc:
        raise fail(exc) from None
    print_statuses(statuses, rest, as_json)


@network_app.command("status")
def status(data_dir: Path = DataDir, as_json: bool = JsonOption,
           local: bool = typer.Option(None, "--local/--docker", show_default=False,
                                      help="which kind of network (default: containers if the data folder has "
                                           "some, else local processes)"),
           project: str = Project, swarm: bool = Swarm) -> None:
    """Each node's role, address, pid, health and height."""
    rest: list[RestStatus] = []
    try:
        if _swarm(data_dir, local, swarm):
            statuses = SwarmNetwork(data_dir, project).status()
        elif _docker(data_dir, local):
            containers = DockerNetwork(data_dir, project)
            statuses = containers.status()
            rest = containers.rest_status() if as_json else []
        else:
            local_network = LocalNetwork(data_dir)
            statuses = local_network.status()
            rest = local_network.rest_status() if as_json else []
    except NetworkError as exc:
        raise fail(exc) from None
    print_statuses(statuses, rest, as_json)


@network_app.command("logs")
def logs(node: str = typer.Argument(..., help="node name (--docker: also a REST service, e.g. rest-org1msp)"),
         data_dir: Path = DataDir,
         lines: int = typer.Option(50, "--lines", "-n", help="how many of the last lines"),
         local: bool = typer.Option(None, "--local/--docker", show_default=False,
                                    help="which kind of network (default: containers if the data folder has some, "
                                         "else local processes); --docker reads the container's output from the "
                                         "engine"),
         project: str = Project) -> None:
    """The last lines a node logged."""
    try:
        if _docker(data_dir, local):
            print(DockerNetwork(data_dir, project).logs(node, lines))
            return
        text = LocalNetwork(data_dir).log_path(node).read_text(errors="replace").splitlines()
    except NetworkError as exc:
        raise fail(exc) from None
    print("\n".join(text[-lines:]))


@network_app.command("down")
def down(data_dir: Path = DataDir,
         purge: bool = typer.Option(False, "--purge", help="also delete all data (--docker: the volumes)"),
         local: bool = typer.Option(None, "--local/--docker", show_default=False,
                                    help="which kind of network (default: containers if the data folder has some, "
                                         "else local processes)"),
         project: str = Project, swarm: bool = Swarm) -> None:
    """Stop every node cleanly (their data stays unless --purge). --docker removes the containers and keeps the
    volumes, so the next `up --docker` continues every chain; --purge removes the volumes too. --swarm removes the
    stack (services, configs, secrets, network) and waits until its containers are gone; --purge also removes
    this host's volumes of the stack."""
    try:
        if _swarm(data_dir, local, swarm):
            SwarmNetwork(data_dir, project).down(purge=purge)
            console.print("stack removed" + (" with this host's volumes" if purge else "; volumes kept"))
            return
        if _docker(data_dir, local):
            DockerNetwork(data_dir, project).down(purge=purge)
            console.print("containers removed" + (" with their volumes" if purge else "; volumes kept"))
            return
        LocalNetwork(data_dir).down(purge=purge)
    except NetworkError as exc:
        raise fail(exc) from None
    console.print("network stopped" + (" and its data removed" if purge else ""))


@network_app.command("render")
def render(network: Path = typer.Option(..., "--network", help="network definition"),
           target: str = typer.Option(..., "--target", help=f"one of {', '.join(TARGETS)}"),
           out: Path = typer.Option(..., "--out", help="folder to write into"),
           data_dir: Path = DataDir,
           image: str = typer.Option("gridledger:latest", "--image", help="k8s: the image the pods run")) -> None:
    """Write the network for Compose (docker-compose.yml), Docker Swarm (stack.yml, `docker stack deploy -c`) or
    Kubernetes (manifests, `kubectl apply -f DIR`). Compose and swarm name the node folders of --data-dir; swarm
    and k8s prepare them first (k8s carries the files themselves and writes the Secrets' file 0600)."""
    read_network(network)
    try:
        written = render_to(network, target, out, data_dir, image)
    except (NetworkError, NetworkConfigError, ValueError) as exc:
        raise fail(exc) from None
    for path in written:
        console.print(str(path))


def _swarm(data_dir: Path, local: bool | None, swarm: bool) -> bool:
    """--swarm, or (no --local/--docker either) a data folder that records a stack and no compose project."""
    if swarm or local is not None:
        return swarm
    layout = Layout(data_dir.resolve())
    return SwarmNetwork(data_dir).record_file.exists() and not layout.project_file.exists()


def _docker(data_dir: Path, local: bool | None) -> bool:
    """--docker, --local, or (neither given) whether the data folder records a network in containers."""
    if local is None:
        return Layout(data_dir.resolve()).project_file.exists()
    return not local
