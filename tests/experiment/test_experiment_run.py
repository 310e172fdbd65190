"""An experiment end to end on a real network (2 orgs x 1 peer, solo orderer, both orgs endorse), run as
`gridledger demo --spec SPEC --keep --json`: a small Configuration 3 community (auctioneer key, so every transaction
type occurs) bids, reveals, reports and is settled; the kept network serves REST and `market verify` agrees with
every slot; the run directory holds island's CSVs, the ledger verified, and the report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.lab.experiment.metrics import compute
from gridledger.lab.experiment.rundata import load_run
from tests.integration.network import write_network
from tests.report_figures import figures

pytestmark = pytest.mark.integration


def test_a_small_configuration_3_run_is_settled_recorded_and_reported(tmp_path: Path) -> None:
    network = write_network(tmp_path, orgs=2, peers_per_org=1, batch_timeout_ms=100)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "tiny3", "configuration": "config3", "network": str(network),
        "market": {"sealing": "auctioneer-key", "data_model": "key-per-tx", "slot_length_blocks": 12,
                   "reveal_offset_blocks": 6, "start_margin_blocks": 3},
        "trace": {"path": "deploy/traces/sample.csv", "households": 6, "first_slot": 30, "slots": 2},
        "quick": {"trace": "deploy/traces/sample.csv", "households": 6, "first_slot": 30, "slots": 2},
        "agents": {"clock_interval_ms": 200, "seed": 5}}))
    run_dir = tmp_path / "results" / "tiny3-quick"
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["demo", "--spec", str(spec), "--out", str(tmp_path / "results"), "--keep",
                                     "--json"])
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)  # progress went to stderr: stdout is the JSON document alone
        [metrics] = document["runs"]
        assert metrics["ledger_verify"] == "ok" and metrics["bidder_success"] == 1.0
        kept = document["network"]
        assert kept["stop"] == f"gridledger network down --data-dir {run_dir / 'network'}"
        assert all(node["healthy"] for node in kept["nodes"]) and len(kept["rest"]) == 2
        with httpx.Client(base_url=kept["rest"][0]["url"], timeout=10) as http:
            assert http.get("/readyz").json()["status"] == "ready"
        for slot in ("0", "1"):  # any participant recomputes clearing and settlement from the ledger
            verified = runner.invoke(app, ["market", "verify", "tiny3-quick", slot, "--data-dir",
                                           str(run_dir / "network"), "--json"])
            assert verified.exit_code == 0, verified.output
            assert json.loads(verified.stdout)["ok"] is True
    finally:
        runner.invoke(app, ["network", "down", "--data-dir", str(run_dir / "network")])

    summary = json.loads((run_dir / "spec.json").read_text())
    assert summary["ledger_verify"] == "ok" and summary["households"] == 6 and summary["slots"] == 2
    rows = list(csv.DictReader((run_dir / "transactions.csv").open()))
    valid = {(r["tx_type"]) for r in rows if r["tx_status"] == "VALID"}
    assert {"buy", "sell", "publishKey", "markEnd", "closeBids", "closeReveals", "clear", "report",
            "settle"} <= valid
    assert not any(r["tx_type"] == "postKey" for r in rows)  # Configuration 3: the auctioneer reveals once
    slots = list(csv.DictReader((run_dir / "slots.csv").open()))
    assert [s["slot_num"] for s in slots] == ["0", "1"]
    for slot in slots:
        assert slot["missing_readings"] == "0" and slot["internal_payments_uc"] == "0"
        assert int(slot["traded_wh"]) <= min(int(slot["buy_wh"]), int(slot["sell_wh"]))
        assert int(slot["unrevealed"]) == int(slot["undecryptable"]) == 0

    assert compute(load_run(run_dir)).bidder_success == 1.0
    assert len(figures((tmp_path / "results" / "report.html").read_text())) >= 4
    assert document["report"] == str(tmp_path / "results" / "report.html")
