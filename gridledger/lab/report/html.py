"""A single-file HTML report: headings, paragraphs, tables and plotly figures, with a little inline CSS.

Built up in order and written once, so a report can be produced from any script without templates or assets.
plotly.js (from the plotly wheel) is inlined once per page, so the page works offline; a short script draws every
figure fragment (charts.py) in place.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from pathlib import Path

from plotly.offline import get_plotlyjs

STYLE = """
body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
"""
DRAW = """
for (const data of document.querySelectorAll("script.figure")) {
  const figure = JSON.parse(data.textContent);
  Plotly.newPlot(data.previousElementSibling, figure.data, figure.layout, {responsive: true});
}
"""


def cell(value: object) -> str:
    """Table cell text: floats rounded to what a reader compares, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


class HtmlReport:
    """Collects report sections in order and writes them as one self-contained HTML file."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = [f"<h1>{escape(title)}</h1>"]

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{escape(text)}</h2>")

    def paragraph(self, text: str) -> None:
        self.parts.append(f"<p>{escape(text)}</p>")

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        head = "".join(f"<th>{escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(cell(v))}</td>" for v in row) + "</tr>" for row in rows)
        self.parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, chart: str, caption: str) -> None:
        """Embed a chart fragment from gridledger.lab.report.charts, trusted as already escaped markup."""
        self.parts.append(f"<figure>{chart}<figcaption>{escape(caption)}</figcaption></figure>")

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(self.title)}</title>'
                f"<style>{STYLE}</style><script>{get_plotlyjs()}</script></head><body>\n" + "\n".join(self.parts)
                + f"\n<script>{DRAW}</script></body></html>\n")
        path.write_text(page, encoding="utf-8")
        return path
