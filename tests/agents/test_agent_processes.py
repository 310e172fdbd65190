"""A market run whose households act from two agent processes of their own (`experiment run --agents local:2`) on a
real network (2 orgs x 1 peer, solo orderer, both orgs endorse): each process gets only its slice's keys, follows
the market's clock on the chain by itself, and the runner merges their records into transactions.csv."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from tests.integration.network import write_network

pytestmark = pytest.mark.integration


def test_two_local_agent_processes_bid_reveal_and_report_for_their_own_households(tmp_path: Path) -> None:
    network = write_network(tmp_path, orgs=2, peers_per_org=1, batch_timeout_ms=100)
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "sliced", "network": str(network),
        "market": {"sealing": "own-key", "data_model": "key-per-tx", "slot_length_blocks": 12,
                   "reveal_offset_blocks": 6, "start_margin_blocks": 3},
        "trace": {"path": "deploy/traces/sample.csv", "households": 4, "first_slot": 30, "slots": 1},
        "agents": {"clock_interval_ms": 200, "seed": 5}}))
    result = CliRunner().invoke(app, ["experiment", "run", str(spec), "--out", str(tmp_path / "results"),
                                      "--agents", "local:2", "--json"])
    assert result.exit_code == 0, result.output
    [metrics] = json.loads(result.stdout)["runs"]
    assert metrics["ledger_verify"] == "ok" and metrics["bidder_success"] == 1.0

    run_dir = tmp_path / "results" / "sliced"
    assert json.loads((run_dir / "spec.json").read_text())["agents"] == "local:2"
    slices = [run_dir / "agents" / f"slice-{index}" for index in (0, 1)]
    assert [sorted(p.name for p in (folder / "slice" / "keys").iterdir()) for folder in slices] == \
        [["h001", "h002"], ["h003", "h004"]]

    rows = list(csv.DictReader((run_dir / "transactions.csv").open()))
    valid = {(row["household"], row["tx_type"]) for row in rows if row["tx_status"] == "VALID"}
    for household in ("h001", "h002", "h003", "h004"):  # every household's agent acted, in either process
        assert {(household, kind) for kind in ("buy", "sell", "postKey", "report")} <= valid
    assert {("", kind) for kind in ("closeBids", "closeReveals", "clear", "settle")} <= valid
    times = [float(row["submitted_s"]) for row in rows]
    assert times == sorted(times)  # the processes' records are merged in submission order, on the run's clock
    per_process = [list(csv.DictReader((folder / "records" / "transactions.csv").open())) for folder in slices]
    assert sum(len(records) for records in per_process) + 4 == len(rows)  # plus the runner's four transitions
    [slot] = list(csv.DictReader((run_dir / "slots.csv").open()))
    assert slot["unrevealed"] == "0" and slot["missing_readings"] == "0"
