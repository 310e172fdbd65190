"""`gridledger trace info` and `trace build`; the real SimBench build runs only where simbench is installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.lab.traces import load_trace, trace_stats
from tests.traces.support import SAMPLE, write_trace

HAS_SIMBENCH = importlib.util.find_spec("simbench") is not None
needs_simbench = pytest.mark.skipif(not HAS_SIMBENCH, reason="simbench is not installed (optional extra "
                                    "`traces`: pip install -e '.[traces]'); CI installs only the dev extra")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "160"})
    return result.exit_code, result.output


def test_info_shows_households_slots_energy_and_pv_share() -> None:
    code, output = run("trace", "info", str(SAMPLE))
    assert code == 0, output
    for expected in ("63", "96 (0..95)", "836.4", "813.7", "100%"):
        assert expected in output


def test_info_reports_an_invalid_trace_precisely(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "a,0,1,0,-1,3.4,10.84")
    code, output = run("trace", "info", str(path))
    assert code == 2
    assert "invalid trace" in output and ":3: column 'use': -1 is negative" in output


def test_build_without_simbench_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simbench", None)  # makes `import simbench` fail as if it were absent
    code, output = run("trace", "build", "--households", "2", "--days", "1", "--seed", "0",
                       "--out", str(tmp_path / "t.csv"))
    assert code == 1
    assert "needs the optional package simbench" in output and "pip install -e '.[traces]'" in output
    assert not (tmp_path / "t.csv").exists()


def test_build_checks_its_options_before_reading_profiles(tmp_path: Path) -> None:
    code, output = run("trace", "build", "--households", "2", "--days", "1", "--seed", "0", "--lo", "12",
                       "--out", str(tmp_path / "t.csv"))
    assert code == 2 and "need 0 < --lo < --hi in c/kWh" in output
    code, output = run("trace", "build", "--households", "2", "--days", "1", "--seed", "0", "--hi", "ten",
                       "--out", str(tmp_path / "t.csv"))
    assert code == 2 and "--hi 'ten' is not a number" in output


@needs_simbench
def test_build_from_simbench_is_valid_and_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    for out in (first, second):
        code, output = run("trace", "build", "--households", "3", "--days", "1", "--seed", "4", "--start-day", "120",
                           "--out", str(out))
        assert code == 0, output
    assert first.read_bytes() == second.read_bytes()
    stats = trace_stats(load_trace(first))
    assert (stats.households, stats.slots, stats.pv_households) == (3, 96, 3)
    assert 10_000 < stats.use_wh < 60_000 and stats.gen_wh > 0  # a spring day of three homes with 3-8 kWp
    assert "simbench 1.6.3" in first.read_text(encoding="utf-8")


@needs_simbench
def test_shipped_sample_is_what_its_recorded_command_builds(tmp_path: Path) -> None:
    command = next(line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.startswith("# built by:"))
    args = command.removeprefix("# built by: gridledger ").removesuffix(" --out FILE").split()
    code, output = run(*args, "--out", str(tmp_path / "sample.csv"))
    assert code == 0, output
    assert (tmp_path / "sample.csv").read_bytes() == SAMPLE.read_bytes()
