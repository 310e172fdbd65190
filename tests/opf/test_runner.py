"""`gridledger experiment run` with a `kind: opf` spec and `gridledger opf run`: the run folder's files, at a CI
size (case33bw, one step, a few iterations: the plumbing, not convergence, which test_distributed.py covers)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gridledger.cli.app import app

REPO = Path(__file__).resolve().parents[2]


def _tiny_spec(folder: Path, name: str = "opf-33bus.yaml") -> Path:
    spec = yaml.safe_load((REPO / "deploy" / "experiments" / name).read_text())
    spec["admm"]["max_iterations"] = 3
    spec["quick"]["steps"] = 1
    # one 24-hour step at the feeder's peak load leaves no voltage headroom for flexible loads on top of it
    spec["penetration"].update(deferrable_share=0.0, shapable_share=0.0)
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_experiment_run_dispatches_opf_specs_and_writes_the_run_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["experiment", "run", str(_tiny_spec(tmp_path)), "--quick", "--out",
                                      str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "opf-33bus-quick"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["iterations"] == 3 and summary["converged"] is False and summary["central_cost"] > 0
    assert json.loads((folder / "spec.json").read_text())["steps"] == 1
    iterations = list(csv.DictReader((folder / "iterations.csv").open()))
    assert [row["iteration"] for row in iterations] == ["1", "2", "3"]
    buses = list(csv.DictReader((folder / "buses.csv").open()))
    assert len(buses) == 33 and buses[0]["voltage_pu"] == "1.000000"
    assert 0.9 <= min(float(row["voltage_pu"]) for row in buses) < 1.0
    assert json.loads(result.output)["report"] == str(tmp_path / "out" / "opf-report.html")
    page = (tmp_path / "out" / "opf-report.html").read_text()
    assert page.count('class="figure"') == 7 and "opf-33bus-quick: case33bw, 1 steps" in page
    again = CliRunner().invoke(app, ["experiment", "report", str(folder), "--out", str(tmp_path / "again"), "--json"])
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again" / "opf-report.html").read_text().count('class="figure"') == 7


def test_the_simbench_lv_spec_runs_its_feeder(tmp_path: Path) -> None:
    path = _tiny_spec(tmp_path, "opf-lv.yaml")
    result = CliRunner().invoke(app, ["opf", "run", str(path), "--quick", "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    buses = list(csv.DictReader((tmp_path / "out" / "opf-lv-quick" / "buses.csv").open()))
    assert len(buses) == 15 and buses[0]["voltage_pu"] == "1.025000"  # the 20 kV bus, SimBench's 1.025 pu
    assert json.loads(result.output)["runs"]["opf-lv-quick"]["central_cost"] > 0


def test_a_bad_spec_is_refused_naming_the_field(tmp_path: Path) -> None:
    path = _tiny_spec(tmp_path)
    spec = yaml.safe_load(path.read_text())
    spec["admm"]["rho"] = -1
    path.write_text(yaml.safe_dump(spec))
    result = CliRunner().invoke(app, ["opf", "run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "rho" in result.output
