"""One read of a running network's chaincode from a command: connect through the data folder's gateway, run the
check, close, and turn an SDK error into a red message and exit status 1 (`dsm verify`, `opf verify`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.markup import escape

from gridledger.cli.output import err
from gridledger.sdk import Gateway, GridLedgerError
from gridledger.sdk.gateway import Contract

T = TypeVar("T")


def check_local_contract(data_dir: Path, chaincode: str, check: Callable[[Contract], Awaitable[T]]) -> T:
    """Run `check` against `chaincode` on the network of `data_dir`; the gateway is closed whatever happens."""

    async def run() -> T:
        gateway = await Gateway.connect_local(data_dir)
        try:
            return await check(gateway.network().contract(chaincode))
        finally:
            await gateway.close()

    try:
        return asyncio.run(run())
    except GridLedgerError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from None
