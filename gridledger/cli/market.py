"""`gridledger market`: look at a market's slots and verify what the chaincode computed by recomputing it from the
ledger with the same shared code (gridledger.common.market)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from gridledger.cli.chain import Org, User, gateway_for, run
from gridledger.cli.network import DataDir
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.common.market.recheck import recheck_slot
from gridledger.sdk import ChaincodeError

market_app = typer.Typer(help="Energy market: show slots and verify their results.", no_args_is_help=True)
Chaincode = typer.Option("market", "--chaincode", help="name the market chaincode is deployed under")


def _fetch(data_dir: Path, org: str | None, user: str | None, chaincode: str,
           calls: list[tuple[str, ...]]) -> list[dict | None]:
    """Evaluate market queries in order; a query answering 404 (record not there yet) gives None."""
    connecting = gateway_for(data_dir, org, user, 3)

    async def evaluate() -> list[dict | None]:
        answers: list[dict | None] = []
        async with await connecting as gateway:
            contract = gateway.network().contract(chaincode)
            for function, *args in calls:
                try:
                    answers.append(json.loads(await contract.evaluate(function, *args)))
                except ChaincodeError as exc:
                    if exc.status != 404:
                        raise
                    answers.append(None)
        return answers

    return run(evaluate())


def _cell(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


@market_app.command("verify")
def verify(market_id: str = typer.Argument(...), slot: int = typer.Argument(...), chaincode: str = Chaincode,
           org: str = Org, user: str = User, data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """Recompute a cleared slot (and its settlement) from the ledger's orders and reveals; exit 1 on disagreement."""
    market, orders, result, allocations, settlement = _fetch(data_dir, org, user, chaincode, [
        ("get_market", market_id), ("get_orders", market_id, str(slot)), ("get_result", market_id, str(slot)),
        ("get_allocations", market_id, str(slot)), ("get_settlement", market_id, str(slot))])
    if market is None or orders is None or result is None or allocations is None:
        err.print(f"[red]market {market_id} slot {slot} is not cleared yet[/red]")
        raise typer.Exit(1)
    checks = recheck_slot(market["config"], orders, result, allocations, settlement)
    failed = [check.name for check in checks if not check.ok]
    if as_json:
        print_json({"market_id": market_id, "slot": slot, "ok": not failed, "settled": settlement is not None,
                    "checks": [{"name": c.name, "ledger": c.ledger, "recomputed": c.recomputed, "ok": c.ok}
                               for c in checks]})
        raise typer.Exit(1 if failed else 0)
    table = Table("check", "ledger", "recomputed", "", title=f"market {market_id} slot {slot}")
    for check in checks:
        table.add_row(check.name, _cell(check.ledger), _cell(check.recomputed),
                      "[green]ok[/green]" if check.ok else "[red]DIFFERS[/red]")
    console.print(table)
    if failed:
        err.print(f"[red]{len(failed)} check(s) disagree: {', '.join(failed)}[/red]")
        raise typer.Exit(1)
    scope = "result, allocations and settlement" if settlement is not None else "result and allocations"
    console.print(f"[green]verified: the recomputed {scope} agree with the ledger[/green]")


@market_app.command("show")
def show(market_id: str = typer.Argument(...), slot: int = typer.Argument(None), chaincode: str = Chaincode,
         org: str = Org, user: str = User, data_dir: Path = DataDir, as_json: bool = JsonOption) -> None:
    """A market's configuration and counters, or one slot's phase, result and allocations."""
    if slot is None:
        market, counters = _fetch(data_dir, org, user, chaincode, [("get_market", market_id),
                                                                   ("get_counters", market_id)])
        if market is None:
            err.print(f"[red]market {market_id} does not exist[/red]")
            raise typer.Exit(1)
        if as_json:
            print_json({**market, "counters": counters})
            return
        table = Table("setting", "value", title=f"market {market_id} (utility {market['utility']})")
        for name, value in sorted({**market["config"], **(counters or {})}.items()):
            table.add_row(name, _cell(value))
        console.print(table)
        return
    info, result, allocations = _fetch(data_dir, org, user, chaincode, [
        ("get_slot", market_id, str(slot)), ("get_result", market_id, str(slot)),
        ("get_allocations", market_id, str(slot))])
    if info is None:
        err.print(f"[red]market {market_id} does not exist[/red]")
        raise typer.Exit(1)
    if as_json:
        print_json({"slot": info, "result": result, "allocations": allocations})
        return
    console.print(f"slot {slot}: phase [bold]{info['phase']}[/bold], orders {info['orders']}, reveals "
                  f"{info['reveals']}, clock {info['clock']} (bids end {info['bid_end']}, reveals end "
                  f"{info['reveal_end']}, settle from {info['settle_from']})")
    if result is None or allocations is None:
        return
    console.print(f"cleared {result['volume_wh']} Wh at {result['price']} mc/kWh; counters {result['counters']}")
    table = Table("participant", "bought Wh", "sold Wh")
    for participant in sorted(set(allocations["buy"]) | set(allocations["sell"])):
        table.add_row(participant, str(allocations["buy"].get(participant, 0)),
                      str(allocations["sell"].get(participant, 0)))
    console.print(table)
