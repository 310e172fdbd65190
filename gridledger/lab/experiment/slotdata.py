"""The per-slot row of island's slot CSV, built from what the ledger recorded (clearing result and settlement)
plus the counterfactual without a market, computed from the same meter readings."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields
from pathlib import Path

from gridledger.lab.agents.records import TxRecord


@dataclass(frozen=True, slots=True)
class SlotRow:
    slot_num: int
    trace_slot: int
    clearing_price: int | None
    traded_wh: int
    buy_orders: int
    sell_orders: int
    buy_wh: int
    sell_wh: int
    bought_from_grid_wh: int
    bought_from_grid_price: int
    sold_to_grid_wh: int
    sold_to_grid_price: int
    demand_met_internally_wh: int
    demand_met_internally_price: int | None
    late_buy: int
    late_sell: int
    late_reveal: int
    unrevealed: int
    undecryptable: int
    malformed: int
    missing_readings: int
    grid_cost_uc: int
    no_market_cost_uc: int
    internal_payments_uc: int


def no_market_cost(readings: Iterable[tuple[int, int]], lo: int, hi: int) -> int:
    """Micro-cents the community pays the grid if every household nets its own use and generation with the grid:
    imports at Hi, exports at Lo (the thesis' "no market" line)."""
    total = 0
    for use_wh, gen_wh in readings:
        net = use_wh - gen_wh
        total += net * hi if net > 0 else net * lo
    return total


def failed_submissions(records: Iterable[TxRecord], slot: int) -> dict[str, int]:
    """Per tx_type, how many submissions of the slot never committed VALID (island's late counts: a bid that
    lost every attempt to MVCC or reached the ledger after the gate closed did not count)."""
    attempts: dict[tuple[str, str], bool] = {}
    for record in records:
        if record.slot == slot and record.household:
            key = (record.tx_type, record.household)
            attempts[key] = attempts.get(key, False) or record.tx_status == "VALID"
    failed: dict[str, int] = {}
    for (tx_type, _), valid in attempts.items():
        if not valid:
            failed[tx_type] = failed.get(tx_type, 0) + 1
    return failed


def write_slots_csv(rows: Iterable[SlotRow], path: Path) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([field.name for field in fields(SlotRow)])
        for row in rows:
            writer.writerow(["" if value is None else value for value in astuple(row)])
    return path


def slot_row(slot: int, trace_slot: int, state: dict, result: dict, settlement: dict | None,
             failed: dict[str, int], no_market_cost_uc: int) -> SlotRow:
    """Island's slot row from the ledger's records of the slot (get_slot, get_result, get_settlement). A slot that
    was cleared but never settled reports its market figures and zero grid figures, and `missing_readings` -1."""
    lines = (settlement or {}).get("lines", {}).values()
    price = result["price"] if result["volume_wh"] else None
    counters = result["counters"]
    lo, hi = (settlement or {}).get("lo", 0), (settlement or {}).get("hi", 0)
    return SlotRow(
        slot_num=slot, trace_slot=trace_slot, clearing_price=price, traded_wh=result["volume_wh"],
        buy_orders=state["orders"]["buy"], sell_orders=state["orders"]["sell"],
        buy_wh=result["demand_wh"], sell_wh=result["supply_wh"],
        bought_from_grid_wh=(settlement or {}).get("grid_import_wh", 0), bought_from_grid_price=hi,
        sold_to_grid_wh=(settlement or {}).get("grid_export_wh", 0), sold_to_grid_price=lo,
        demand_met_internally_wh=result["volume_wh"], demand_met_internally_price=price,
        late_buy=failed.get("buy", 0), late_sell=failed.get("sell", 0), late_reveal=failed.get("postKey", 0),
        unrevealed=counters["unrevealed"], undecryptable=counters["undecryptable"], malformed=counters["malformed"],
        missing_readings=settlement["missing_readings"] if settlement else -1,
        grid_cost_uc=-sum(line["grid"] for line in lines),
        no_market_cost_uc=no_market_cost_uc,
        internal_payments_uc=sum(line["market"] for line in lines))
