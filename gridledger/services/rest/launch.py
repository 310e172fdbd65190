"""How an organisation's REST service process starts: its options, checked against the network definition
before anything listens. `python -m gridledger.services.rest` (what `network up` runs) and `gridledger rest serve`
both call `serve_command`; the other `gridledger rest` commands (cli/rest.py) share its options and checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from gridledger.ops.netconfig import NetworkConfigError, NetworkDefinition, load_network
from gridledger.sdk.errors import WalletError
from gridledger.services.rest.config import RestConfig

err = Console(stderr=True, soft_wrap=True)

DataDir = typer.Option(Path(".gridledger"), "--data-dir", help="the network's data folder")
Org = typer.Option(..., "--org", help="MSP id of the organisation")
PassphraseFile = typer.Option(None, "--passphrase-file", help="wallet passphrase file (default: "
                              "$GRIDLEDGER_WALLET_PASSPHRASE, else DATA_DIR/rest/ORG/wallet.passphrase)")


def _default(field: str):
    """RestConfig's default for `field`, so an option and the config cannot disagree."""
    return RestConfig.model_fields[field].default


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]{message}[/red]")
    return typer.Exit(code)


def network_file_of(data_dir: Path, network: Path | None) -> Path:
    if network is not None:
        return network
    marker = data_dir / "network.json"
    if not marker.exists():
        raise fail(f"no network in {data_dir}: pass --network FILE (or start one with `gridledger network up`)")
    return Path(json.loads(marker.read_text())["network_file"])


def check_definition(path: Path, msp_id: str) -> NetworkDefinition:
    try:
        network = load_network(path)
    except NetworkConfigError as exc:
        raise fail(str(exc), 2) from None
    if msp_id not in network.peer_msp_ids:
        raise fail(f"{msp_id} is not a peer organisation of {path}; it has {', '.join(network.peer_msp_ids)}")
    return network



def serve_command(
    org: str = Org, port: int = typer.Option(8080, "--port"), data_dir: Path = DataDir,
    network: Path = typer.Option(None, "--network", help="network definition (default: the one in --data-dir)"),
    host: str = typer.Option("127.0.0.1", "--host"),
    peer: str = typer.Option(None, "--peer", help="gateway peer (default: the org's first peer)"),
    peer_address: str = typer.Option(None, "--peer-address", help="the peer's host:port (default: 127.0.0.1 and "
                                     "its port from the network definition)"),
    passphrase_file: Path = PassphraseFile,
    extension: list[str] = typer.Option(None, "--extension", help="router factory module:function mounted under "
                                        "/v1 (repeatable)"),
    log_level: str = typer.Option("INFO", "--log-level"),
    max_concurrency: int = typer.Option(_default("max_concurrency"), "--max-concurrency",
                                        help="open connections and requests in progress; beyond it new requests "
                                        "get 503"),
    header_timeout: float = typer.Option(_default("header_timeout_s"), "--header-timeout",
                                         help="seconds a request's headers may take (408)"),
    body_timeout: float = typer.Option(_default("body_timeout_s"), "--body-timeout",
                                       help="seconds a request's body may take after its headers (408)"),
    marker: Path = typer.Option(None, "--marker", hidden=True, help="set by `network up` to recognise the process"),
) -> None:
    """Run the organisation's REST API (OpenAPI at /docs) until interrupted."""
    from gridledger.services.rest.app import serve  # FastAPI and uvicorn only when serving

    network_file = network_file_of(data_dir, network)
    check_definition(network_file, org)
    try:
        config = RestConfig(msp_id=org, data_dir=data_dir.resolve(), network_file=network_file.resolve(), host=host,
                            port=port, peer=peer, peer_address=peer_address,
                            passphrase_file=passphrase_file, extensions=extension or [],
                            max_concurrency=max_concurrency, header_timeout_s=header_timeout,
                            body_timeout_s=body_timeout)
    except ValidationError as exc:
        raise fail(f"invalid option: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}", 2) from None
    try:
        serve(config, log_level)
    except (ValueError, OSError, WalletError) as exc:
        raise fail(f"cannot start the REST service: {exc}") from None


