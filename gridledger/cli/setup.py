"""CLI commands that prepare a network before it runs: crypto material and the genesis block."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

import gridledger
from gridledger.cli.output import console, err
from gridledger.ops import cryptogen, genesis, provenance
from gridledger.ops.netconfig import NetworkConfigError, NetworkDefinition, load_network

SHIPPED_NETWORKS = Path(gridledger.__file__).resolve().parent.parent / "deploy" / "networks"

crypto_app = typer.Typer(help="Keys and certificates for a network.", no_args_is_help=True)
channel_app = typer.Typer(help="Channel configuration and genesis block.", no_args_is_help=True)

NetworkOption = typer.Option(..., "--network", help="network definition, e.g. deploy/networks/dev.yaml")


def shipped_networks() -> list[Path]:
    """The network definitions that come with gridledger (deploy/networks/*.yaml), relative to the current folder
    where they are below it."""
    found = []
    for path in sorted(SHIPPED_NETWORKS.glob("*.yaml")):
        try:
            found.append(path.relative_to(Path.cwd()))
        except ValueError:
            found.append(path)
    return found


def missing_network(path: Path) -> str:
    """What to say when a network definition file does not exist: the shipped ones to choose from."""
    shipped = ", ".join(str(p) for p in shipped_networks()) or "none found"
    return f"{path}: no such network definition; the shipped ones are {shipped}"


def read_network(path: Path) -> NetworkDefinition:
    """Load a network definition or exit with the precise error (file, field, what is allowed); a file that does
    not exist is named with the shipped definitions."""
    if not path.exists():
        err.print(f"[red]{escape(missing_network(path))}[/red]")
        raise typer.Exit(2)
    try:
        return load_network(path)
    except NetworkConfigError as exc:
        err.print(f"[red]invalid network definition[/red]\n{escape(str(exc))}")
        raise typer.Exit(2) from None


@crypto_app.command("generate")
def crypto_generate(
    network: Path = NetworkOption,
    out: Path = typer.Option(..., "--out", help="folder for the crypto material"),
    force: bool = typer.Option(False, "--force", help="replace existing keys and certificates"),
) -> None:
    """Create CA, TLS and member keys and certificates for every org, node, admin and client."""
    definition = read_network(network)
    try:
        written = cryptogen.generate(definition, out, force=force, source=network)
    except provenance.ForeignMaterial as exc:
        err.print(f"{exc}\nuse another --out, or --force to replace it", style="red", markup=False)
        raise typer.Exit(2) from None
    members = cryptogen.members_of(definition)
    if written:
        console.print(f"wrote {len(written)} certificates (and their keys, mode 0600) for {len(members)} members "
                      f"of {definition.name} to {out}")
    else:
        console.print(f"crypto material for {definition.name} in {out} is complete; nothing to do "
                      "(use --force to replace it)")


@channel_app.command("genesis")
def channel_genesis(
    network: Path = NetworkOption,
    crypto: Path = typer.Option(..., "--crypto", help="folder made by `gridledger crypto generate`"),
    out: Path = typer.Option(..., "--out", help="where to write the genesis block"),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="address at which consenters are reached; '' means by node name (containers)"),
) -> None:
    """Write the signed genesis block that carries the channel config."""
    definition = read_network(network)
    try:
        genesis.write_genesis(definition, crypto, out, host=host, source=network)
    except FileNotFoundError as exc:
        err.print(f"[red]missing crypto material:[/red] {exc.filename}\n"
                  f"run `gridledger crypto generate --network {network} --out {crypto}` first")
        raise typer.Exit(2) from None
    except provenance.ForeignMaterial as exc:
        err.print(f"{exc}\nmake crypto material for {network} in another folder: `gridledger crypto generate "
                  f"--network {network} --out FOLDER`", style="red", markup=False)
        raise typer.Exit(2) from None
    console.print(f"genesis block for channel {definition.channel!r} ({definition.consensus.type}, "
                  f"{len(definition.orderer_nodes())} consenters, {len(definition.peer_orgs)} peer orgs) -> {out}")
