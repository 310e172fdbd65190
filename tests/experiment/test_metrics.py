"""Run metrics: every number of a small worked example computed by hand, undefined metrics left out rather than
zero, and run directories that do not match the format rejected with file, line and column."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import fields, replace
from pathlib import Path

import pytest
from rich.console import Console

from gridledger.lab.agents.records import TxLog, TxRecord
from gridledger.lab.experiment.metrics import compute, metrics_table, p95, run_labels
from gridledger.lab.experiment.rundata import Block, RunFileError, Slot, Transaction, columns, load_run
from gridledger.lab.experiment.slotdata import SlotRow, write_slots_csv
from tests.experiment.rundirs import (
    BLOCK_COLUMNS,
    EXAMPLE_BLOCKS,
    EXAMPLE_SLOTS,
    EXAMPLE_TRANSACTIONS,
    SLOT_COLUMNS,
    TX_COLUMNS,
    Record,
    block,
    slot,
    spec,
    tx,
    write_csv,
    write_example,
    write_run,
)


def test_the_worked_example_by_hand(tmp_path: Path) -> None:
    m = compute(load_run(write_example(tmp_path / "run")))
    # 7 bidder attempts (buy, sell, postKey), 5 VALID; 10 attempts in all, 7 VALID (clock and publishKey too).
    assert (m.bidder_attempts, m.attempts) == (7, 10)
    assert m.bidder_success == pytest.approx(5 / 7) and m.overall_success == pytest.approx(0.7)
    # committed bidder tx only: bid [100, 200, 400] (not publishKey's 999), reveal [50, 150];
    # p95 linear at rank (n - 1) * 0.95: 200 + 0.9 * 200 and 50 + 0.95 * 100.
    assert (m.bid_latency_median_ms, m.bid_latency_p95_ms) == pytest.approx((200, 380))
    assert (m.reveal_latency_median_ms, m.reveal_latency_p95_ms) == pytest.approx((100, 145))
    # market: slot 0 1000/2000, slot 1 skipped (nothing imported), slot 2 0/300.
    assert (m.market_efficiency_mean, m.market_efficiency_slots) == (pytest.approx(0.25), 2)
    # allocative: slot 0 1000/min(1500, 1000), slot 1 500/min(2000, 1000), slot 2 skipped (no buy orders).
    assert (m.allocative_efficiency_mean, m.allocative_efficiency_slots) == (pytest.approx(0.75), 2)
    assert m.internal_kwh == pytest.approx(1.5)
    assert m.internal_wh_per_household_slot == pytest.approx(1500 / (2 * 3))
    # micro-cents: 21_680_000 - 1_700_000 + 532_000 and 30_000_000 + 4_000_000 + 532_000; 1 USD = 1e8 uc.
    assert m.external_cost_usd == pytest.approx(0.20512) and m.no_market_cost_usd == pytest.approx(0.34532)
    assert m.external_cost_ratio == pytest.approx(20_512_000 / 34_532_000)
    assert (m.late_orders, m.late_reveals, m.excluded_orders, m.missing_readings) == (3, 1, 3, 1)
    assert (m.blocks, m.mean_block_kib, m.mean_block_tx) == (3, pytest.approx(3.0), pytest.approx(4.0))
    assert dict(m.bidder_statuses) == {"VALID": 5, "MVCC_READ_CONFLICT": 1, "CHAINCODE_403": 1}
    assert (m.name, m.configuration, m.households, m.slots) == ("run", "config2", 2, 3)


def test_undefined_metrics_are_none_not_zero(tmp_path: Path) -> None:
    """No attempts, no imports and empty sides: nothing to average, so no number (a 0 would read as a result)."""
    run = write_run(tmp_path / "run", slots=[slot(0, sell_wh=500, sold_to_grid_wh=500)])
    m = compute(load_run(run))
    assert m.bidder_success is None and m.overall_success is None and m.bid_latency_p95_ms is None
    assert m.market_efficiency_mean is None and m.allocative_efficiency_mean is None
    assert (m.market_efficiency_slots, m.allocative_efficiency_slots) == (0, 0)
    assert m.mean_block_kib is None and m.external_cost_ratio is None
    row = m.as_row()
    assert row["tx success, bidder tx"] == "" and row["mean market efficiency E_trd/E_imp"] == ""


def test_p95_interpolates_linearly_and_takes_a_single_sample() -> None:
    assert p95([float(v) for v in range(1, 11)]) == pytest.approx(9.55)
    assert p95([7.0]) == 7.0 and p95([]) is None


def test_rows_are_formatted_for_tables(tmp_path: Path) -> None:
    m = compute(load_run(write_example(tmp_path / "run")))
    row = m.as_row()
    assert list(row)[:2] == ["run", "configuration"]
    assert row["tx success, bidder tx"] == "71.43%" and row["mean market efficiency E_trd/E_imp"] == "0.2500"
    assert row["bid-phase latency p95 (ms)"] == "380.0" and row["external cost (USD)"] == "0.21"
    console = Console(record=True, width=200)
    console.print(metrics_table([m]))
    shown = console.export_text()
    assert "config2" in shown and "71.43%" in shown and "demand met internally (kWh)" in shown


def test_run_labels_are_configurations_unless_ambiguous(tmp_path: Path) -> None:
    example = compute(load_run(write_example(tmp_path / "run")))
    runs = [replace(example, name=name, configuration=configuration)
            for name, configuration in (("a", "config1"), ("b", "config2"), ("c", "config2"), ("d", ""), ("d", ""))]
    assert run_labels(runs) == ["config1", "config2 (b)", "config2 (c)", "d #4", "d #5"]


def test_slots_come_back_in_slot_order_and_extra_columns_and_keys_are_kept(tmp_path: Path) -> None:
    run_dir = write_run(tmp_path / "run", run_spec=spec(batch={"timeout_ms": 200}), slots=EXAMPLE_SLOTS[::-1])
    write_csv(run_dir / "blocks.csv", (*BLOCK_COLUMNS, "note"), [{**block(1, 1.0, 1, 1), "note": "x"}])
    run = load_run(run_dir)
    assert [s.slot_num for s in run.slots] == [0, 1, 2]
    assert run.spec["batch"] == {"timeout_ms": 200} and len(run.blocks) == 1


def test_the_runner_writes_what_the_metrics_read(tmp_path: Path) -> None:
    """The runner's row types and writers (slotdata, agents.records) against this reader: the file format is the
    contract between the two."""
    assert [f.name for f in fields(SlotRow)] == list(columns(Slot)) == list(SLOT_COLUMNS)
    assert [f.name for f in fields(TxRecord)] == list(columns(Transaction)) == list(TX_COLUMNS)
    assert list(columns(Block)) == list(BLOCK_COLUMNS)
    run_dir = write_run(tmp_path / "run", blocks=EXAMPLE_BLOCKS)
    log = TxLog()
    log.add(TxRecord("", 0, "h1", "buy", "bid", 1, 0.5, 812.345, "UNAVAILABLE", None))
    log.add(TxRecord("t2", 0, "h1", "buy", "bid", 2, 1.5, 400.0, "VALID", 7))
    log.write_csv(run_dir / "transactions.csv")
    write_slots_csv([SlotRow(0, 5, 9000, 100, 1, 1, 100, 200, 0, 10840, 100, 3400, 100, 9000, 0, 0, 0, 0, 0, 0, 0,
                             -340_000, -340_000, 0)], run_dir / "slots.csv")
    m = compute(load_run(run_dir))
    assert m.bidder_success == 0.5 and m.bid_latency_median_ms == 400.0 and m.internal_kwh == 0.1


def replace_line(path: Path, number: int, text: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def example_with(*, transactions: Sequence[Record] = EXAMPLE_TRANSACTIONS, slots: Sequence[Record] = EXAMPLE_SLOTS,
                 blocks: Sequence[Record] = EXAMPLE_BLOCKS) -> Callable[[Path], None]:
    """Writes the example run with some of its files' rows replaced."""
    def write(directory: Path) -> None:
        write_run(directory, transactions=transactions, slots=slots, blocks=blocks)
    return write


def with_spec(**changes: object) -> Callable[[Path], None]:
    def write(directory: Path) -> None:
        example_with()(directory)
        values = {key: value for key, value in {**spec(), **changes}.items() if value is not None}
        (directory / "spec.json").write_text(json.dumps(values), encoding="utf-8")
    return write


def then(write: Callable[[Path], None], change: Callable[[Path], None]) -> Callable[[Path], None]:
    def both(directory: Path) -> None:
        write(directory)
        change(directory)
    return both


BAD_RUNS = {
    "not a number": (example_with(slots=[EXAMPLE_SLOTS[0], slot(1, traded_wh="1e3"), EXAMPLE_SLOTS[2]]),
                     r"slots\.csv: line 3, column 'traded_wh': expected a whole number >= 0, got '1e3'"),
    "negative count": (example_with(slots=[slot(0, late_buy=-1)]),
                       r"slots\.csv: line 2, column 'late_buy': expected a whole number >= 0, got '-1'"),
    "NaN latency": (example_with(transactions=[tx("buy", "bid", float("nan"))]),
                    r"transactions\.csv: line 2, column 'latency_ms': expected a finite number >= 0, got 'nan'"),
    "unknown tx type": (example_with(transactions=[tx("bid", "bid", 1.0)]),
                        r"transactions\.csv: line 2, column 'tx_type': expected one of buy, clear, .*got 'bid'"),
    "unknown phase": (example_with(transactions=[tx("buy", "bidding", 1.0)]),
                      r"transactions\.csv: line 2, column 'phase': expected one of bid, other, reveal, got"),
    "attempt 0": (example_with(transactions=[{**tx("buy", "bid", 1.0), "attempt": 0}]),
                  r"line 2, column 'attempt': expected a whole number > 0, got '0'"),
    "trade above a side": (example_with(slots=[slot(0, traded_wh=600, clearing_price=5000, buy_wh=900,
                                                    sell_wh=500)]),
                           r"slots\.csv: line 2, column 'traded_wh': exceeds min\(buy_wh, sell_wh\) = 500"),
    "price without trade": (example_with(slots=[slot(0, clearing_price=5000)]),
                            r"line 2, column 'clearing_price': must be empty exactly when traded_wh is 0"),
    "demand met is not the trade": (example_with(slots=[slot(0, traded_wh=10, clearing_price=5000, buy_wh=10,
                                                             sell_wh=10, demand_met_internally_wh=9)]),
                                    r"column 'demand_met_internally_wh': must equal traded_wh \(10\)"),
    "payments do not balance": (example_with(slots=[slot(0, internal_payments_uc=5)]),
                                r"line 2, column 'internal_payments_uc': market payments of a slot must sum to 0"),
    "repeated slot": (example_with(slots=[slot(4), slot(5), slot(4)]),
                      r"slots\.csv: line 4, column 'slot_num': 4 already appears on line 2"),
    "more valid than tx": (example_with(blocks=[block(1, 1.0, 2, 3)]),
                           r"blocks\.csv: line 2, column 'valid_count': exceeds tx_count \(2\)"),
    "missing column": (then(example_with(), lambda d: write_csv(d / "blocks.csv", BLOCK_COLUMNS[:2], [])),
                       r"blocks\.csv: line 1: missing column\(s\) tx_count, valid_count"),
    "extra field": (then(example_with(), lambda d: replace_line(d / "blocks.csv", 3, "2,2.500,4,3,9")),
                    r"blocks\.csv: line 3: more fields than the header has columns"),
    "missing field": (then(example_with(), lambda d: replace_line(d / "blocks.csv", 4, "3,5.0,6")),
                      r"blocks\.csv: line 4, column 'valid_count': missing"),
    "missing file": (then(example_with(), lambda d: (d / "blocks.csv").unlink()), r"blocks\.csv: cannot read"),
    "spec key missing": (with_spec(households=None), r"spec\.json: missing key 'households'"),
    "spec key type": (with_spec(slots="3"), r"spec\.json: key 'slots': expected int, got '3'"),
    "spec bool": (with_spec(households=True), r"spec\.json: key 'households': expected int, got True"),
    "spec not JSON": (then(example_with(), lambda d: (d / "spec.json").write_text("{name")),
                      r"spec\.json: not valid JSON"),
    "spec not an object": (then(example_with(), lambda d: (d / "spec.json").write_text("[]")),
                           r"spec\.json: expected a JSON object"),
}


@pytest.mark.parametrize(("write", "message"), BAD_RUNS.values(), ids=BAD_RUNS.keys())
def test_bad_run_directories_are_rejected_precisely(tmp_path: Path, write: Callable[[Path], None],
                                                    message: str) -> None:
    write(tmp_path / "run")
    with pytest.raises(RunFileError, match=message):
        load_run(tmp_path / "run")
