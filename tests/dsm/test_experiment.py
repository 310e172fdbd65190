"""A DSM experiment end to end on a real network (2 orgs x 1 peer, solo orderer, both orgs endorse every
transaction), run as `gridledger experiment run SPEC --quick --keep`: both methods plan a day of 6 houses exactly as
central Profile Steering does, `dsm verify` recomputes both days from the kept network, every peer's ledger
verifies, and the run directory holds the CSVs and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.lab.dsm.results import DayRow, HouseRow, read_rows
from tests.integration.network import write_network

pytestmark = pytest.mark.integration


def test_one_day_by_both_methods_matches_central_and_verifies(tmp_path: Path) -> None:
    network = write_network(tmp_path, orgs=2, peers_per_org=1, batch_timeout_ms=50)
    spec = tmp_path / "dsm.yaml"
    spec.write_text(yaml.safe_dump({
        "kind": "dsm", "name": "tinydsm", "network": str(network), "scenario": "scenario2",
        "reward_case": 2, "trace": {"path": "deploy/traces/dsm-sample.csv", "houses": 6},
        "quick": {"days": 1, "houses": 6}, "agents": {"window_s": 20, "seed": 3}}))
    results = tmp_path / "results"
    run_dir = results / "tinydsm-quick"
    runner = CliRunner()
    try:
        result = runner.invoke(app, ["experiment", "run", str(spec), "--quick", "--keep", "--out", str(results)])
        assert result.exit_code == 0, result.output
        summary = json.loads((run_dir / "spec.json").read_text())
        assert summary["identical_plans"] is True and summary["ledger_verify"] == "ok"
        for method in ("method1", "method2"):
            verified = runner.invoke(app, ["dsm", "verify", summary["neighbourhoods"][method], "0", "--data-dir",
                                           str(run_dir / "network"), "--json"])
            assert verified.exit_code == 0, verified.output
            [check] = json.loads(verified.stdout)
            assert check["ok"] and check["method"] == method and check["iterations"] > 0
    finally:
        runner.invoke(app, ["network", "down", "--data-dir", str(run_dir / "network")])
    days = read_rows(run_dir / "days.csv", DayRow)
    assert [row.method for row in days] == ["central", "method1", "method2"]
    assert len({row.iterations for row in days}) == 1 and all(row.identical_to_central for row in days)
    assert all(row.peak_after_w < row.peak_before_w and row.norm_after_w < row.norm_before_w for row in days)
    method2 = days[2]
    assert method2.transactions >= 1 + 6 + 1 + method2.iterations * 2 and method2.skipped_offers == 0
    assert days[1].stake_value_milli == days[1].reward_milli + 1000 * sum(
        {"sonnen-eco": 20_000, "pika-harbour-5": 14_300, "tesla-powerwall-2": 13_500, "lg-chem-resu10h": 9_300,
         "b-box-pro-5": 5_120}[row.battery] for row in read_rows(run_dir / "houses.csv", HouseRow)
        if row.method == "method1")
    assert (results / "dsm-report.html").read_text().count('class="figure"') >= 3  # lab/report/charts.py
    again = runner.invoke(app, ["experiment", "report", str(run_dir), "--out", str(tmp_path), "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["report"] == str(tmp_path / "dsm-report.html")
