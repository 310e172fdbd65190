"""Per-transaction records and island's late counts."""

from __future__ import annotations

import csv

from gridledger.lab.agents.records import TxLog, TxRecord
from gridledger.lab.experiment.slotdata import failed_submissions, no_market_cost


def _record(tx_type: str, household: str, attempt: int, status: str, slot: int = 0) -> TxRecord:
    return TxRecord(f"tx-{household}-{tx_type}-{attempt}", slot, household, tx_type, "bid", attempt, 0.5, 12.345,
                    status, 3 if status == "VALID" else None)


def test_log_writes_one_row_per_attempt_with_island_columns(tmp_path) -> None:
    log = TxLog()
    log.add(_record("buy", "h1", 1, "MVCC_READ_CONFLICT"))
    log.add(_record("buy", "h1", 2, "VALID"))
    rows = list(csv.DictReader(log.write_csv(tmp_path / "tx.csv").open()))
    assert [r["tx_status"] for r in rows] == ["MVCC_READ_CONFLICT", "VALID"]
    assert rows[0]["block"] == "" and rows[1]["block"] == "3"
    assert {"tx_id", "latency_ms", "tx_type", "attempt", "tx_status"} <= set(rows[0])


def test_a_submission_counts_as_failed_only_if_no_attempt_committed() -> None:
    records = [_record("buy", "h1", 1, "MVCC_READ_CONFLICT"), _record("buy", "h1", 2, "VALID"),
               _record("sell", "h1", 1, "MVCC_READ_CONFLICT"), _record("sell", "h1", 2, "CHAINCODE_409"),
               _record("buy", "h2", 1, "MVCC_READ_CONFLICT", slot=1)]
    assert failed_submissions(records, 0) == {"sell": 1}
    assert failed_submissions(records, 1) == {"buy": 1}


def test_no_market_cost_imports_at_hi_and_exports_at_lo() -> None:
    # 1,000 Wh net import at 10,000 mc/kWh = 10,000,000 micro-cents; 500 Wh net export at 3,000 earns 1,500,000.
    assert no_market_cost([(1500, 500), (0, 500), (700, 700)], lo=3000, hi=10000) == 10_000_000 - 1_500_000
