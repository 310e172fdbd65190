"""The experiment report: one self-contained page with valid plotly figures per configuration, the thesis' numbers
next to each run, the plotted series right, runs without a thesis counterpart still reported, and the page drawn in
headless Chromium without a console error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gridledger.lab.experiment.report import (
    THESIS_RESULTS,
    cost_series,
    cumulative,
    thesis_values,
    traded_kwh,
    write_report,
)
from gridledger.lab.experiment.rundata import RunFileError, load_run
from tests.browser import chromium, console_errors
from tests.experiment.rundirs import slot, spec, write_example, write_run
from tests.report_figures import bars, lines, texts
from tests.report_figures import figures as charts

FIGURES_PER_REPORT = ["bid-phase latency", "reveal-phase latency", "Demand met internally", "External cost",
                      "Mean market efficiency E_trd/E_imp", "Mean allocative efficiency E_trd/min(E_buy,E_sell)"]


def headers(page: str) -> list[str]:
    return re.findall(r"<th>(.*?)</th>", page)


def test_one_run_gets_every_figure_and_the_thesis_column(tmp_path: Path) -> None:
    run = write_example(tmp_path / "c2", "c2", "config2", batch={"timeout_ms": 200})
    path = write_report([run], tmp_path / "out")
    assert path == tmp_path / "out" / "report.html"
    page = path.read_text(encoding="utf-8")
    figures = charts(page)
    assert list(figures) == [*FIGURES_PER_REPORT, "config2: bidder transaction attempts"]
    assert lines(figures["bid-phase latency"]) == 1
    assert lines(figures["External cost"]) == 2 and "without market" in texts(figures["External cost"])
    assert bars(figures["Mean market efficiency E_trd/E_imp"]) == 2
    assert {"config2", "thesis config2"} <= texts(figures["Mean market efficiency E_trd/E_imp"])
    assert {"VALID", "MVCC_READ_CONFLICT", "CHAINCODE_403"} <= texts(figures["config2: bidder transaction "
                                                                             "attempts"])
    assert headers(page)[-3:] == ["metric", "config2", "thesis config2"]
    assert "<td>tx success, bidder tx</td><td>71.43%</td><td>100.00%</td>" in page
    assert "<td>mean market efficiency E_trd/E_imp</td><td>0.2500</td><td>1.2750</td>" in page
    assert "<td>batch</td><td>{&quot;timeout_ms&quot;: 200}</td>" in page
    assert "Christidis" in page


def test_three_configurations_share_figures_and_the_no_market_line(tmp_path: Path) -> None:
    runs = [write_example(tmp_path / name, name, f"config{name[-1]}") for name in ("c1", "c2", "c3")]
    page = write_report(runs, tmp_path / "out").read_text(encoding="utf-8")
    figures = charts(page)
    assert list(figures) == [*FIGURES_PER_REPORT, *(f"config{i}: bidder transaction attempts" for i in (1, 2, 3))]
    assert lines(figures["reveal-phase latency"]) == 3
    assert lines(figures["Demand met internally"]) == 3
    assert lines(figures["External cost"]) == 4  # the same trace: one no-market line
    assert bars(figures["Mean allocative efficiency E_trd/min(E_buy,E_sell)"]) == 6
    assert headers(page)[-7:] == ["metric", "config1", "thesis config1", "config2", "thesis config2", "config3",
                                  "thesis config3"]
    assert "27.72%" in page and "0.1915" in page and "0.8451" in page


def test_a_run_without_thesis_counterpart_and_an_explicit_html_path(tmp_path: Path) -> None:
    """A custom configuration has no reference column or bar; runs of different traces get a no-market line each."""
    custom = write_run(tmp_path / "custom", run_spec=spec("custom", "bft"),
                       slots=[slot(7, bought_from_grid_wh=100, grid_cost_uc=1_084_000, no_market_cost_uc=1_084_000)])
    path = write_report([custom, write_example(tmp_path / "c1", "c1", "config1")], tmp_path / "mine.html")
    assert path == tmp_path / "mine.html"
    page = path.read_text(encoding="utf-8")
    figures = charts(page)
    assert "thesis bft" not in page and headers(page)[-4:] == ["metric", "bft", "config1", "thesis config1"]
    assert lines(figures["External cost"]) == 4
    assert {"bft without market", "config1 without market"} <= texts(figures["External cost"])
    assert "bft" in texts(figures["Mean market efficiency E_trd/E_imp"])  # 0 traded of 100 imported: 0.0
    assert "bft" not in texts(figures["Mean allocative efficiency E_trd/min(E_buy,E_sell)"])  # undefined: no bar
    assert "no data" in texts(figures["bft: bidder transaction attempts"])


def test_the_report_draws_in_chromium_without_console_errors(tmp_path: Path) -> None:
    """The page offline (file://, so plotly.js must be inline): every figure drawn, nothing logged as an error."""
    runs = [write_example(tmp_path / name, name, f"config{name[-1]}") for name in ("c1", "c2")]
    path = write_report(runs, tmp_path / "out")
    with chromium() as browser:
        browser.get(path.as_uri())
        drawn = browser.execute_script("return document.querySelectorAll('div.chart .main-svg').length > 0 && "
                                       "[...document.querySelectorAll('div.chart')].every(c => c.querySelector("
                                       "'.main-svg'))")
        assert drawn and len(charts(path.read_text(encoding="utf-8"))) == len(FIGURES_PER_REPORT) + 2
        assert not console_errors(browser)


def test_plotted_series_accumulate_per_slot(tmp_path: Path) -> None:
    run = load_run(write_example(tmp_path / "run"))
    assert cumulative(run.slots, traded_kwh) == [(0, 1.0), (1, 1.5), (2, 1.5)]
    series = cost_series([run], ["config2"])
    assert list(series) == ["config2", "without market"]
    assert [x for x, _ in series["config2"]] == [0, 1, 2]
    assert [y for _, y in series["config2"]] == pytest.approx([0.2168, 0.1998, 0.20512])
    assert [y for _, y in series["without market"]] == pytest.approx([0.3, 0.34, 0.34532])


def test_thesis_reference_derives_the_normalised_numbers() -> None:
    assert set(THESIS_RESULTS) == {"config1", "config2", "config3"}
    config2 = thesis_values("config2")
    assert config2 is not None
    assert config2["internal_wh_per_household_slot"] == pytest.approx(17_140_000 / (63 * 5760))
    assert config2["external_cost_ratio"] == pytest.approx(4352 / 7497)
    assert thesis_values("custom") is None


def test_nothing_to_report_and_bad_runs_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one run"):
        write_report([], tmp_path)
    bad = write_example(tmp_path / "bad")
    (bad / "slots.csv").write_text("slot_num\n1\n", encoding="utf-8")
    with pytest.raises(RunFileError, match=r"slots\.csv: line 1: missing column"):
        write_report([bad], tmp_path)
    assert not (tmp_path / "report.html").exists()
