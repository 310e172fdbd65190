"""`gridledger bench` end to end on dev.yaml: deploy/bench/smoke.yaml's short rounds (every workload and rate
controller at low rates), then the report is checked for completeness (JSON keys, CSV rows, figures in
report.html), never for speed."""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app

REPO = Path(__file__).resolve().parents[2]
ROUND_KEYS = {"label", "submitted", "succeeded", "failed", "failed_by_validation_code", "failed_by_error",
              "target_send_rate_tps", "achieved_send_rate_tps", "throughput_tps", "goodput_tps", "latency_ms",
              "blocks", "stages", "resources", "crypto_bound", "achieved_over_crypto_bound", "load_average",
              "cpu_ms_per_valid_tx", "machine_cpu_percent", "timeseries"}


@pytest.mark.integration
def test_bench_smoke_round_writes_a_complete_report(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = CliRunner().invoke(app, ["bench", "--network", str(REPO / "deploy" / "networks" / "dev.yaml"),
                                      "--local", "--free-ports", "--rounds", str(REPO / "deploy" / "bench" /
                                                                                "smoke.yaml"),
                                      "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output

    document = json.loads((out / "results.json").read_text())
    assert set(document) >= {"machine", "crypto_cost", "runs", "command"}
    assert document["machine"]["cores"] >= 1 and document["machine"]["cpu_model"]
    assert document["crypto_cost"]["sign_us"] > 0 and document["crypto_cost"]["verify_us"] > 0
    (run,) = document["runs"]
    assert run["topology"]["peers"] == 1 and run["topology"]["batch"]["max_message_count"] > 0
    workloads = {"kv-blind-write", "kv-read-write", "kv-hot-key", "market-order"}
    assert {r["workload"] for r in run["rounds"]} == workloads
    for round_result in run["rounds"]:
        assert set(round_result) >= ROUND_KEYS
        assert round_result["succeeded"] > 0, round_result["label"]
        assert round_result["succeeded"] + round_result["failed"] == round_result["submitted"]
        assert {"min", "p50", "p95", "p99", "max"} <= set(round_result["latency_ms"])
        assert {"peer0-org1", "orderer0", "bench-worker-0", "bench-worker-1"} <= set(round_result["resources"])
        assert round_result["crypto_bound"]["signs_per_tx"] == 3
        assert round_result["crypto_bound"]["verifies_per_tx"] == 4

    with (out / "rounds.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {row["workload"] for row in rows} == workloads and all(int(row["Succ"]) > 0 for row in rows)

    page = (out / "report.html").read_text()
    for title in ("Throughput over time", "Latency over time", "Latency CDF", "Outcomes", "Block sizes"):
        assert title in page
    body = page[page.index("<body>"):page.rindex("</body>") + len("</body>")]
    ET.fromstring(body.replace("<!DOCTYPE html>", ""))  # the figures and tables are well-formed markup
