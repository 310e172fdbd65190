"""scripts/bench_compare.py: the figures it reads from results.json, the ratios it reports, and the arguments it
refuses before running anything (a real side-by-side run is a benchmark, documented in docs/performance.md)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_compare.py"
spec = importlib.util.spec_from_file_location("bench_compare", SCRIPT)
compare = importlib.util.module_from_spec(spec)
sys.modules["bench_compare"] = compare  # dataclasses look their module up there
spec.loader.exec_module(compare)


def results(*goodputs: float | None) -> dict:
    rounds = [{"goodput_tps": g, "latency_ms": {"p50": 100.0, "p99": 400.0}, "cpu_ms_per_valid_tx": {"nodes": 4.0},
               "achieved_over_crypto_bound": 0.1, "failed": 0} for g in goodputs]
    return {"runs": [{"rounds": rounds}]}


def test_figures_read_every_round_and_leave_missing_values_empty():
    rows = compare.figures(results(200.0, None))
    assert [row["goodput tx/s"] for row in rows] == [200.0, None]
    assert rows[0]["p99 ms"] == 400.0 and rows[0]["node CPU ms/tx"] == 4.0


def test_ratios_are_candidate_over_baseline_and_skip_what_cannot_divide():
    baseline = compare.figures(results(200.0, 100.0))
    candidate = compare.figures(results(300.0, None))
    ratios = compare.pair_ratios(baseline, candidate)
    assert ratios[0]["goodput tx/s"] == pytest.approx(1.5)
    assert ratios[0]["failed"] is None  # 0 failed on both sides: no ratio
    assert ratios[1]["goodput tx/s"] is None


def test_env_settings_need_a_name_and_a_value():
    assert compare.parse_env(["A=1", "B="], "--candidate-env") == {"A": "1", "B": ""}
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        compare.parse_env(["A"], "--candidate-env")


@pytest.mark.parametrize(("args", "message"), [
    (["--baseline", ".", "--out", "x", "--", "--network", "n.yaml"], "same tree"),
    (["--baseline", "HEAD", "--out", "x", "--", "--out", "y"], "--out is set per run"),
    (["--baseline", "HEAD", "--out", "x"], "bench arguments"),
    (["--baseline", "HEAD", "--pairs", "0", "--out", "x", "--", "--network", "n.yaml"], "at least 1"),
])
def test_bad_arguments_are_refused_before_any_run(args, message, tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "x").exists()
