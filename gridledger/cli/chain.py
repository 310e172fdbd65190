"""CLI commands that use a running network: chaincode lifecycle, invoke, query and ledger inspection."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
import typer
from rich.table import Table

from gridledger.chaincode.package import package_chaincode
from gridledger.cli.network import DataDir, fail
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.common.envelope import EnvelopeError, open_stored
from gridledger.ops.deploy import (
    DeployError,
    NetworkClients,
    approve,
    commit,
    deploy,
    install,
    next_definition,
    peers_of,
    readiness,
)
from gridledger.ops.localnet import LocalNetwork, NetworkError
from gridledger.ops.netconfig import NetworkConfigError
from gridledger.ops.verify import verify_network
from gridledger.sdk import Gateway, GridLedgerError, LocalNetworkError, RetryPolicy, Unavailable, local_member
from gridledger.v1 import block_pb2

chaincode_app = typer.Typer(help="Chaincode lifecycle.", no_args_is_help=True)
ledger_app = typer.Typer(help="Inspect and verify the ledger.", no_args_is_help=True)
Org = typer.Option(None, "--org", help="MSP id of the organisation to act for (default: the first peer org)")
User = typer.Option(None, "--user", help="client identity (default: the org's first client)")


def clients_for(data_dir: Path) -> NetworkClients:
    network = LocalNetwork(data_dir)
    try:
        return NetworkClients(network.definition(), network.crypto_dir)
    except (NetworkError, NetworkConfigError) as exc:
        raise fail(exc) from None


def run(coroutine):
    """Run a client coroutine, turning the errors a user can act on into one clear line and exit code 1."""
    try:
        return asyncio.run(coroutine)
    except Unavailable as exc:
        raise fail(Exception(f"{exc} (is the network up? `gridledger network status`)")) from None
    except (GridLedgerError, DeployError, NetworkError, PermissionError, FileNotFoundError) as exc:
        raise fail(exc) from None
    except grpc.aio.AioRpcError as exc:
        raise fail(Exception(f"{exc.code().name}: {exc.details()} (is the network up? "
                             "`gridledger network status`)")) from None


@chaincode_app.command("package")
def package(path: Path = typer.Option(..., "--path"), label: str = typer.Option(..., "--label"),
            out: Path = typer.Option(..., "--out")) -> None:
    """Write a deterministic tar.gz of a chaincode folder."""
    out.write_bytes(package_chaincode(path, label))
    console.print(f"packaged {path} as {out}")


@chaincode_app.command("deploy")
def deploy_command(name: str = typer.Option(..., "--name"), path: Path = typer.Option(..., "--path"),
                   version: str = typer.Option("1.0", "--version"),
                   policy: str = typer.Option(None, "--policy", help="endorsement policy (default: the network's)"),
                   data_dir: Path = DataDir) -> None:
    """Package, install on every peer, approve for every org, commit, and wait until every peer is ready."""
    clients = clients_for(data_dir)
    chosen = policy or next((c.endorsement_policy for c in clients.network.chaincodes
                             if c.name == name and c.endorsement_policy), clients.network.policies.endorsement)
    definition = run(deploy(clients, name, path, version, chosen, progress=console.print))
    console.print(f"[green]{name} {version} (sequence {definition['sequence']}) deployed[/green] "
                  f"with policy {chosen}")


def _definition_options(name: str, version: str, package_id: str, policy: str | None, sequence: int | None,
                        clients: NetworkClients) -> dict:
    if ":" not in package_id:
        raise fail(Exception(f"--package-id must look like label:sha256, got {package_id!r}"))
    definition = run(next_definition(clients, name, version, package_id,
                                     policy or clients.network.policies.endorsement))
    if sequence is not None:
        definition["sequence"] = sequence
    return definition


Name = typer.Option(..., "--name")
Version = typer.Option("1.0", "--version")
PackageId = typer.Option(..., "--package-id", help="printed by `chaincode install`")
Policy = typer.Option(None, "--policy", help="endorsement policy (default: the network's)")
Sequence = typer.Option(None, "--sequence", help="definition sequence (default: the next one)")


@chaincode_app.command("install")
def install_command(path: Path = typer.Option(..., "--path"), label: str = typer.Option(..., "--label"),
                    peer: str = typer.Option(None, "--peer", help="one peer (default: every peer)"),
                    data_dir: Path = DataDir) -> None:
    """Install a chaincode package on peers; prints the package id to approve."""
    clients = clients_for(data_dir)
    targets = [p for p in peers_of(clients.network) if peer is None or p.name == peer]
    if not targets:
        raise fail(Exception(f"no peer named {peer!r}"))
    package_id = run(install(clients, package_chaincode(path, label), targets, progress=console.print))
    print(package_id)


@chaincode_app.command("approve")
def approve_command(name: str = Name, version: str = Version, package_id: str = PackageId, policy: str = Policy,
                    sequence: int = Sequence, org: str = Org, data_dir: Path = DataDir) -> None:
    """Approve a chaincode definition for one organisation (as its admin)."""
    clients = clients_for(data_dir)
    definition = _definition_options(name, version, package_id, policy, sequence, clients)
    run(approve(clients, org or clients.network.peer_msp_ids[0], definition))
    console.print(f"approved {name} sequence {definition['sequence']} for {org or clients.network.peer_msp_ids[0]}")


@chaincode_app.command("readiness")
def readiness_command(name: str = Name, version: str = Version, package_id: str = PackageId, policy: str = Policy,
                      sequence: int = Sequence, data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """Which organisations approved a definition, and whether it can be committed."""
    clients = clients_for(data_dir)
    ready = run(readiness(clients, _definition_options(name, version, package_id, policy, sequence, clients)))
    if as_json:
        print_json(ready)
        return
    table = Table("organisation", "approved")
    for org, ok in ready["approvals"].items():
        table.add_row(org, "[green]yes[/green]" if ok else "[red]no[/red]")
    console.print(table)
    console.print(f"ready to commit: {ready['ready']} (lifecycle policy {ready['policy']})")


@chaincode_app.command("commit")
def commit_command(name: str = Name, version: str = Version, package_id: str = PackageId, policy: str = Policy,
                   sequence: int = Sequence, data_dir: Path = DataDir) -> None:
    """Commit an approved definition and wait until every peer has it."""
    clients = clients_for(data_dir)
    definition = _definition_options(name, version, package_id, policy, sequence, clients)
    run(commit(clients, definition))
    console.print(f"committed {name} sequence {definition['sequence']}")


@chaincode_app.command("list")
def list_definitions(data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """Chaincode definitions committed on the channel."""
    clients = clients_for(data_dir)

    async def fetch() -> bytes:
        async with clients.connect(clients.first_peer()) as client:
            return await client.evaluate("_lifecycle", "definitions")

    definitions = json.loads(run(fetch()))
    if as_json:
        print_json(definitions)
        return
    table = Table("name", "version", "sequence", "endorsement policy", "package hash")
    for d in definitions:
        table.add_row(d["name"], d["version"], str(d["sequence"]), d["endorsement_policy"], d["package_hash"][:16])
    console.print(table)


def gateway_for(data_dir: Path, org: str | None, user: str | None, attempts: int):
    """The SDK gateway of a client (or the admin) of `org`, connected to the org's first peer, for the network's
    channel (a coroutine). An unknown org or user is refused here, naming the ones the network has."""
    if attempts < 1:
        raise fail(Exception("--max-attempts must be at least 1"))
    try:
        member = local_member(data_dir, org, user)
    except LocalNetworkError as exc:
        raise fail(exc) from None
    return Gateway.connect(member.peer.address, member.material.identity, member.material.tls, wait_ready=None,
                           retry=RetryPolicy(max_attempts=attempts), channel=member.channel)


def _transient(pairs: list[str] | None) -> dict[str, bytes]:
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise fail(Exception(f"--transient takes KEY=VALUE, got {pair!r}"))
        result[key] = value.encode()
    return result


Transient = typer.Option(None, "--transient", help="private input KEY=VALUE that never reaches the ledger "
                         "(repeatable)")
Attempts = typer.Option(5, "--max-attempts", help="attempts for retryable failures (MVCC conflicts, an "
                        "unavailable endorser or orderer)")


def invoke(chaincode: str = typer.Argument(...), function: str = typer.Argument(...),
           args: list[str] = typer.Argument(None), org: str = Org, user: str = User,
           transient: list[str] = Transient, max_attempts: int = Attempts, data_dir: Path = DataDir) -> None:
    """Submit a transaction and wait for its commit; prints txid, block and validation code."""
    private = _transient(transient)
    connecting = gateway_for(data_dir, org, user, max_attempts)

    async def submit():
        async with await connecting as gateway:
            contract = gateway.network().contract(chaincode)
            return await contract.submit(function, *(args or []), transient=private)

    result = run(submit())
    tries = f"  after {result.attempts} attempts" if result.attempts > 1 else ""
    console.print(f"txid {result.tx_id}  block {result.block}  {result.code_name}{tries}")
    if result.payload:
        print(result.payload.decode(errors="replace"))


def query(chaincode: str = typer.Argument(...), function: str = typer.Argument(...),
          args: list[str] = typer.Argument(None), org: str = Org, user: str = User,
          transient: list[str] = Transient, data_dir: Path = DataDir) -> None:
    """Evaluate a query on one peer (nothing is ordered)."""
    private = _transient(transient)
    connecting = gateway_for(data_dir, org, user, 3)

    async def evaluate():
        async with await connecting as gateway:
            contract = gateway.network().contract(chaincode)
            return await contract.evaluate(function, *(args or []), transient=private)

    print(run(evaluate()).decode(errors="replace"))


@ledger_app.command("blocks")
def blocks(start: int = typer.Option(0, "--start"), count: int = typer.Option(20, "--count"),
           data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """A table of blocks with their transactions and validation codes."""
    clients = clients_for(data_dir)

    async def fetch() -> list[block_pb2.Block]:
        async with clients.connect(clients.first_peer()) as client:
            info = await client.channel_info()
            stop = min(info.height, start + count)
            return [b async for b in client.blocks(start, stop=stop)] if stop > start else []

    rows = []
    for block in run(fetch()):
        codes = [block_pb2.ValidationCode.Name(c) for c in block.metadata.validation_codes]
        rows.append({"block": block.header.number, "txs": len(codes), "valid": codes.count("VALID"),
                     "codes": {c: codes.count(c) for c in sorted(set(codes))},
                     "data_hash": block.header.data_hash.hex()})
    if as_json:
        print_json(rows)
        return
    table = Table("block", "txs", "valid", "codes", "data hash")
    for row in rows:
        summary = ", ".join(f"{code} x{count}" for code, count in row["codes"].items())
        table.add_row(str(row["block"]), str(row["txs"]), str(row["valid"]), summary, row["data_hash"][:16])
    console.print(table)


@ledger_app.command("tx")
def tx(tx_id: str = typer.Argument(...), data_dir: Path = DataDir) -> None:
    """Where a transaction is and how it was validated."""
    clients = clients_for(data_dir)

    async def find():
        async with clients.connect(clients.first_peer()) as client:
            info = await client.channel_info()
            async for block in client.blocks(0, stop=info.height):
                for index, raw in enumerate(block.data.envelopes):
                    try:
                        header = open_stored(raw).header
                    except EnvelopeError:  # BAD_PAYLOAD envelopes are in the chain too; they name no txid
                        continue
                    if header.tx_id == tx_id:
                        return block.header.number, index, block.metadata.validation_codes[index], header
        return None

    found = run(find())
    if found is None:
        raise fail(Exception(f"transaction {tx_id} is not in the ledger"))
    number, index, code, header = found
    console.print(f"block {number} position {index}: {block_pb2.ValidationCode.Name(code)}; "
                  f"creator {header.creator.msp_id}")


@ledger_app.command("verify")
def verify(data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """Check every peer's hash chain and block signatures, and that all agree on blocks and state hash."""
    clients = clients_for(data_dir)
    report = run(verify_network(clients))
    if as_json:
        print_json({"ok": report.ok, "heights": report.heights, "state_hashes": report.state_hashes,
                    "problems": report.problems})
        raise typer.Exit(0 if report.ok else 1)
    table = Table("peer", "height", "state hash")
    for name, height in report.heights.items():
        table.add_row(name, str(height), report.state_hashes[name][:16])
    console.print(table)
    if not report.ok:
        for problem in report.problems:
            err.print(f"[red]{problem}[/red]")
        raise typer.Exit(1)
    console.print("[green]ledger verified: hash chains, signatures, blocks and state hashes agree[/green]")
