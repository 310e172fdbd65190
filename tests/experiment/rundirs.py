"""Synthetic run directories for the metrics and report tests, in the runner's file layout.

The column lists are spelled out here rather than taken from the code under test, so a renamed column fails a test
instead of silently changing the format on both sides.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

HI, LO = 10840, 3400
TX_COLUMNS = ("tx_id", "slot", "household", "tx_type", "phase", "attempt", "submitted_s", "latency_ms", "tx_status",
              "block")
SLOT_COLUMNS = ("slot_num", "trace_slot", "clearing_price", "traded_wh", "buy_orders", "sell_orders", "buy_wh",
                "sell_wh", "bought_from_grid_wh", "bought_from_grid_price", "sold_to_grid_wh", "sold_to_grid_price",
                "demand_met_internally_wh", "demand_met_internally_price", "late_buy", "late_sell", "late_reveal",
                "unrevealed", "undecryptable", "malformed", "missing_readings", "grid_cost_uc", "no_market_cost_uc",
                "internal_payments_uc")
BLOCK_COLUMNS = ("block_num", "size_kib", "tx_count", "valid_count")

Record = Mapping[str, object]


def spec(name: str = "run", configuration: str = "config2", **extra: object) -> dict[str, object]:
    return {"name": name, "configuration": configuration, "sealing": "own-key", "data_model": "key-per-tx",
            "network": "deploy/networks/raft.yaml", "households": 2, "slots": 3, "wall_time_s": 12.5, **extra}


def slot(slot_num: int, *, traded_wh: object = 0, clearing_price: int | None = None,
         **values: object) -> dict[str, object]:
    """A consistent slot row: zero counters, the grid prices, demand met internally mirroring the trade."""
    price = "" if clearing_price is None else clearing_price
    row: dict[str, object] = {name: 0 for name in SLOT_COLUMNS}
    row.update(slot_num=slot_num, trace_slot=100 + slot_num, clearing_price=price, traded_wh=traded_wh,
               bought_from_grid_price=HI, sold_to_grid_price=LO, demand_met_internally_wh=traded_wh,
               demand_met_internally_price=price)
    row.update(values)
    return row


def tx(tx_type: str, phase: str, latency_ms: float, status: str = "VALID", attempt: int = 1,
       household: str = "h1") -> dict[str, object]:
    return {"tx_id": f"{tx_type}-{phase}-{latency_ms}-{attempt}", "slot": 0, "household": household,
            "tx_type": tx_type, "phase": phase, "attempt": attempt, "submitted_s": "1.2500",
            "latency_ms": f"{latency_ms:.2f}", "tx_status": status, "block": 3 if status == "VALID" else ""}


def block(block_num: int, size_kib: float, tx_count: int, valid_count: int) -> dict[str, object]:
    return {"block_num": block_num, "size_kib": f"{size_kib:.3f}", "tx_count": tx_count, "valid_count": valid_count}


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[Record]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_run(directory: Path, *, run_spec: Record | None = None, transactions: Sequence[Record] = (),
              slots: Sequence[Record] = (), blocks: Sequence[Record] = ()) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "spec.json").write_text(json.dumps(spec() if run_spec is None else run_spec), encoding="utf-8")
    write_csv(directory / "transactions.csv", TX_COLUMNS, transactions)
    write_csv(directory / "slots.csv", SLOT_COLUMNS, slots)
    write_csv(directory / "blocks.csv", BLOCK_COLUMNS, blocks)
    return directory


# The worked example of the tests, small enough to compute every metric by hand (see test_metrics.py).
EXAMPLE_TRANSACTIONS = (
    tx("buy", "bid", 100), tx("sell", "bid", 300, "MVCC_READ_CONFLICT"), tx("sell", "bid", 200, attempt=2),
    tx("buy", "bid", 400, household="h2"), tx("postKey", "reveal", 50), tx("postKey", "reveal", 150, household="h2"),
    tx("buy", "bid", 20, "CHAINCODE_403", household="h2"),
    tx("clock", "other", 10, household=""), tx("closeBids", "other", 30, "MVCC_READ_CONFLICT", household=""),
    tx("publishKey", "bid", 999, household=""),
)
EXAMPLE_SLOTS = (
    # 1000 Wh traded of min(1500, 1000) offered, 2000 Wh imported: market 0.5, allocative 1.0.
    slot(0, traded_wh=1000, clearing_price=7000, buy_orders=2, sell_orders=1, buy_wh=1500, sell_wh=1000,
         bought_from_grid_wh=2000, late_buy=1, unrevealed=1, grid_cost_uc=21_680_000, no_market_cost_uc=30_000_000),
    # nothing imported: market efficiency undefined; 500 of min(2000, 1000): allocative 0.5.
    slot(1, traded_wh=500, clearing_price=8000, buy_orders=1, sell_orders=1, buy_wh=2000, sell_wh=1000,
         sold_to_grid_wh=500, late_reveal=1, undecryptable=1, missing_readings=1, grid_cost_uc=-1_700_000,
         no_market_cost_uc=4_000_000),
    # no buy orders: allocative efficiency undefined; 0 traded of 300 imported: market 0.0.
    slot(2, sell_orders=1, sell_wh=800, bought_from_grid_wh=300, sold_to_grid_wh=800, late_sell=2, malformed=1,
         grid_cost_uc=532_000, no_market_cost_uc=532_000),
)
EXAMPLE_BLOCKS = (block(1, 1.5, 2, 2), block(2, 2.5, 4, 3), block(3, 5.0, 6, 6))


def write_example(directory: Path, name: str = "run", configuration: str = "config2", **extra: object) -> Path:
    return write_run(directory, run_spec=spec(name, configuration, **extra), transactions=EXAMPLE_TRANSACTIONS,
                     slots=EXAMPLE_SLOTS, blocks=EXAMPLE_BLOCKS)
