"""`gridledger market`: run a market (`operate`: its clock and the clock-gated steps of every slot), look at its
slots, and verify what the chaincode computed by recomputing it from the ledger with the same shared code
(gridledger.common.market)."""

from __future__ import annotations

import asyncio
import json
import random
import signal
from pathlib import Path

import typer
from rich.table import Table

from gridledger.cli.chain import Org, User, gateway_for, run
from gridledger.cli.network import DataDir, fail
from gridledger.cli.output import JsonOption, console, err, print_json
from gridledger.common import msp
from gridledger.common.market.config import HEIGHT, MarketConfig
from gridledger.common.market.recheck import recheck_slot
from gridledger.common.material import ADMIN
from gridledger.lab.agents.chainclock import ChainClock
from gridledger.lab.agents.operator import ClockTicker, MarketOperator, Step
from gridledger.lab.agents.records import TxLog
from gridledger.lab.agents.submitter import BlockBackoff, Submitter
from gridledger.sdk import ChaincodeError, Contract

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


def _describe(step: Step) -> str:
    if step.result is None:
        return f"[red]slot {step.slot}: {step.function} was not committed; the slot stays where it is[/red]"
    text = f"slot {step.slot}: {step.function} committed in block {step.result.block}"
    if step.function == "settle":
        settled = json.loads(step.result.payload)
        price = "no trade" if settled["price"] is None else f"{settled['internal_wh']} Wh traded at " \
                                                            f"{settled['price']} mc/kWh"
        text += f" ({price}; {len(settled['transfers'])} accounts paid or charged)"
    return text


async def _check_operator(contract: Contract, market_id: str, user: str) -> MarketConfig:
    """The market's configuration, once it is clear that this identity may advance it (the utility's admin, or
    a registered member): refusing later, one transaction at a time, would say less."""
    try:
        market = json.loads(await contract.evaluate("get_market", market_id))
    except ChaincodeError as exc:
        raise fail(Exception(f"market {market_id!r}: {exc.message}")) from None
    config = MarketConfig.from_json(market["config"])
    if config.clock.mode != HEIGHT:
        raise fail(Exception(f"market {market_id} runs on proposal time ({config.clock.mode} mode), which needs no "
                             "clock transactions; `operate` runs height-mode markets"))
    identity = contract.network.gateway.identity
    if identity.msp_id == market["utility"] and user == ADMIN:
        return config
    try:
        await contract.evaluate("get_member", market_id, msp.fingerprint(identity.certificate))
    except ChaincodeError:
        raise fail(Exception(f"{user} of {identity.msp_id} may not advance market {market_id}: it is neither an admin "
                             f"of its utility {market['utility']} nor registered in the market; run `gridledger "
                             f"market operate {market_id} --org {market['utility']}`")) from None
    return config


async def _operate(data_dir: Path, org: str | None, user: str, chaincode: str, market_id: str, interval: float,
                   first_slot: int | None, slots: int | None) -> None:
    async with await gateway_for(data_dir, org, user, 1) as gateway:
        contract = gateway.network().contract(chaincode)
        config = await _check_operator(contract, market_id, user)
        clock = ChainClock(gateway.network())
        submitter = Submitter(clock, TxLog(), BlockBackoff(alpha=2, retries=2), random.Random())
        operator = MarketOperator(contract, market_id, config.clock, clock, submitter,
                                  on_step=lambda step: console.print(_describe(step)))
        tasks = [asyncio.create_task(clock.run()), asyncio.create_task(ClockTicker(contract, interval).run())]
        try:
            now = json.loads(await contract.evaluate("get_slot", market_id, 0))["clock"]
            await clock.wait_for_height(now)  # caught up with the peer, so the current slot is known
            console.print(f"operating market {market_id} at block {clock.height} (slot {operator.current_slot()}; "
                          f"slots of {config.clock.slot_length} blocks from block {config.clock.start}, bids close "
                          f"{config.clock.reveal_offset} blocks into a slot); stop with Ctrl-C or SIGTERM")
            await operator.run(first_slot, slots)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


@market_app.command("operate")
def operate(market_id: str = typer.Argument(...), chaincode: str = Chaincode, org: str = Org,
            user: str = typer.Option(ADMIN, "--user", help="who signs: the utility's admin (default) or a "
                                     "registered member"),
            interval: float = typer.Option(0.2, "--interval", min=0.01, help="seconds between clock transactions "
                                           "(height mode: they keep blocks coming, so the market clock runs)"),
            from_slot: int = typer.Option(None, "--from-slot", min=0, help="first slot to operate (default: two "
                                          "before the current one, to finish what an earlier run left)"),
            slots: int = typer.Option(None, "--slots", min=1, help="stop once this many slots are settled "
                                      "(default: run until stopped)"),
            data_dir: Path = DataDir) -> None:
    """Run a market: send `clock` transactions so the ledger height advances, and move every slot through its
    phases at their boundaries (close_bids, close_reveals, clear, settle), printing one line per step. Prosumers
    and meters only bid, reveal and report (REST or SDK); this does the rest. Runs until Ctrl-C or SIGTERM."""

    async def main() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await _operate(data_dir, org, user, chaincode, market_id, interval, from_slot, slots)
        except asyncio.CancelledError:
            console.print(f"stopped operating market {market_id}")

    run(main())
