"""The shared report module: every chart is a valid plotly figure with its series, text survives unescaped
characters without breaking the page, empty input still renders, and the page carries plotly.js itself."""

from __future__ import annotations

from pathlib import Path

from gridledger.lab.report import HtmlReport, bar_chart, cdf_chart, line_chart
from tests.report_figures import bars, figures, lines, texts

NASTY = 'a<b & "c" > d\'s </script>'


def page(*charts: str) -> str:
    report = HtmlReport("r")
    for chart in charts:
        report.figure(chart, "caption")
    return "\n".join(report.parts)


def test_line_chart_has_one_line_per_series_and_its_labels() -> None:
    [figure] = figures(page(line_chart({"tps": [(0, 0), (1, 120.5), (2, 340)], "p50": [(0, 10), (2, 30)]},
                                       title="Throughput", x_label="time (s)", y_label="tx/s"))).values()
    assert lines(figure) == 2
    assert {"Throughput", "time (s)", "tx/s", "tps", "p50"} <= texts(figure)
    assert figure["data"][0]["y"] == [0, 120.5, 340]


def test_text_survives_markup_characters() -> None:
    charts = [line_chart({NASTY: [(0, 1), (1, 2)]}, title=NASTY, x_label=NASTY, y_label=NASTY),
              cdf_chart({NASTY: [1.0, 2.0]}, title=f"{NASTY} cdf", x_label=NASTY),
              bar_chart({NASTY: 3.0}, title=f"{NASTY} bars", y_label=NASTY)]
    html = page(*charts)
    assert html.count("</script>") == 3  # only the fragments' own closing tags
    assert all(NASTY in texts(figure) for figure in figures(html).values())
    assert len(figures(html)) == 3


def test_empty_inputs_render_a_frame_with_a_note() -> None:
    for chart in (line_chart({}, title="t", x_label="x", y_label="y"),
                  line_chart({"s": [(float("nan"), 1.0)]}, title="t", x_label="x", y_label="y"),
                  cdf_chart({"s": []}, title="t", x_label="x"),
                  bar_chart({}, title="t", y_label="y")):
        [figure] = figures(page(chart)).values()
        assert "no data" in texts(figure)


def test_cdf_steps_from_zero_to_one_and_bars_keep_their_order() -> None:
    [cdf] = figures(page(cdf_chart({"latency": [5.0, 1.0, 3.0]}, title="CDF", x_label="ms"))).values()
    assert cdf["data"][0]["x"] == [1.0, 1.0, 3.0, 5.0] and cdf["data"][0]["y"][0] == 0 and cdf["data"][0]["y"][-1] == 1
    [bar] = figures(page(bar_chart({"VALID": 0.0, "MVCC": 2.0}, title="codes", y_label="count"))).values()
    assert bars(bar) == 2 and bar["data"][0]["x"] == ["VALID", "MVCC"]


def test_the_written_page_inlines_plotly(tmp_path: Path) -> None:
    report = HtmlReport("r")
    report.figure(bar_chart({"a": 1.0}, title="t", y_label="y"), "c")
    html = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "plotly.js v" in html and "<script src" not in html
