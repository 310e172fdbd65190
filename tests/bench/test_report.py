"""The shared report module: every chart is well-formed XML, text is escaped, empty input still renders."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from gridledger.lab.report import HtmlReport, bar_chart, cdf_chart, line_chart
from gridledger.lab.report.svg import nice_ticks

SVG = "{http://www.w3.org/2000/svg}"
NASTY = 'a<b & "c" > d\'s'


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_line_chart_is_valid_svg_with_ticks_and_one_line_per_series() -> None:
    svg = line_chart({"tps": [(0, 0), (1, 120.5), (2, 340)], "p50": [(0, 10), (2, 30)]},
                     title="Throughput", x_label="time (s)", y_label="tx/s")
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{SVG}polyline"))) == 2
    labels = texts(svg)
    assert "Throughput" in labels and "time (s)" in labels and "tx/s" in labels
    assert "0" in labels and any(label.startswith("3") for label in labels)


def test_text_is_escaped_everywhere() -> None:
    charts = [
        line_chart({NASTY: [(0, 1), (1, 2)]}, title=NASTY, x_label=NASTY, y_label=NASTY),
        cdf_chart({NASTY: [1.0, 2.0]}, title=NASTY, x_label=NASTY),
        bar_chart({NASTY: 3.0}, title=NASTY, y_label=NASTY),
    ]
    for svg in charts:
        assert NASTY in texts(svg)
        assert "<b &" not in svg


def test_empty_inputs_render_a_frame_with_a_note() -> None:
    for svg in (line_chart({}, title="t", x_label="x", y_label="y"),
                line_chart({"s": []}, title="t", x_label="x", y_label="y"),
                cdf_chart({"s": []}, title="t", x_label="x"),
                bar_chart({}, title="t", y_label="y")):
        assert "no data" in texts(svg)


def test_cdf_reaches_one_and_bar_chart_handles_single_and_zero_values() -> None:
    svg = cdf_chart({"latency": [5.0, 1.0, 3.0]}, title="CDF", x_label="ms")
    assert "1" in texts(svg)
    assert ET.fromstring(bar_chart({"VALID": 0.0}, title="codes", y_label="count")) is not None
    assert ET.fromstring(line_chart({"flat": [(1, 7), (1, 7)]}, title="t", x_label="x", y_label="y")) is not None


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    ticks = nice_ticks(3.2, 987.0)
    assert ticks[0] <= 3.2 and ticks[-1] >= 987.0
    assert ticks == sorted(ticks) and len(set(ticks)) == len(ticks)
    assert nice_ticks(5.0, 5.0)[-1] > 5.0


def test_html_report_is_one_self_contained_file(tmp_path: Path) -> None:
    report = HtmlReport(NASTY)
    report.heading("Round <1>")
    report.paragraph("fixed-rate & friends")
    report.table(["round", "tps"], [["r<1>", 123.456], ["r2", None]])
    report.figure(bar_chart({"VALID": 10}, title="codes", y_label="n"), caption="codes <per> round")
    path = report.write(tmp_path / "out" / "report.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "Round &lt;1&gt;" in page and "fixed-rate &amp; friends" in page and "123.46" in page
    assert "<svg" in page and "codes &lt;per&gt; round" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
