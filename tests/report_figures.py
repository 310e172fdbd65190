"""Reading the plotly figures back out of a report page (gridledger/lab/report/charts.py writes each as JSON)."""

from __future__ import annotations

import json
import re


def figures(page: str) -> dict[str, dict]:
    """Every figure of the page by its title; each must be valid JSON."""
    found = [json.loads(data) for data in
             re.findall(r'<script type="application/json" class="figure">(.*?)</script>', page, flags=re.S)]
    return {figure["layout"]["title"]["text"]: figure for figure in found}


def lines(figure: dict) -> int:
    return sum(1 for trace in figure["data"] if trace["type"] == "scatter")


def bars(figure: dict) -> int:
    return sum(len(trace["x"]) for trace in figure["data"] if trace["type"] == "bar")


def texts(figure: dict) -> set[str]:
    """What a reader sees as words: title, axis titles, series names, bar categories, notes."""
    layout = figure["layout"]
    found = {layout["title"]["text"], *(a["text"] for a in layout.get("annotations", ()))}
    found |= {layout[axis]["title"]["text"] for axis in ("xaxis", "yaxis") if "title" in layout.get(axis, {})}
    for trace in figure["data"]:
        found |= {trace["name"]} if "name" in trace else set()
        found |= set(trace["x"]) if trace["type"] == "bar" else set()
    return found
