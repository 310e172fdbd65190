"""Line, CDF and bar charts for the reports, as plotly figures: interactive (zoom, hover values, series toggled
from the legend) and drawn in the browser by plotly.js, which HtmlReport inlines once per page.

Each chart is returned as an HTML fragment: an empty <div> and the figure's JSON in a <script type=
"application/json"> after it, drawn by the page's one script. Non-finite values are dropped, and empty input yields
an empty frame with a "no data" note rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

HEIGHT = 380


def _layout(title: str, x_label: str, y_label: str) -> go.Layout:
    return go.Layout(title={"text": title}, xaxis={"title": {"text": x_label}}, yaxis={"title": {"text": y_label}},
                     template="plotly_white", height=HEIGHT, margin={"l": 70, "r": 20, "t": 50, "b": 60},
                     legend={"orientation": "h", "y": -0.2})


def _fragment(figure: go.Figure, empty: bool) -> str:
    if empty:
        figure.add_annotation(text="no data", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    data = figure.to_json().replace("</", "<\\/")  # JSON may escape '/' anyway; the page must not see '</script'
    return f'<div class="chart"></div><script type="application/json" class="figure">{data}</script>'


def _finite(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    return [(x, y) for x, y in points if math.isfinite(x) and math.isfinite(y)]


def line_chart(series: Mapping[str, Sequence[tuple[float, float]]], *, title: str, x_label: str,
               y_label: str) -> str:
    """One line per named series of (x, y) points; the y axis starts at zero so rates are not visually inflated."""
    figure = go.Figure(layout=_layout(title, x_label, y_label))
    for name, points in series.items():
        if kept := _finite(points):
            figure.add_scatter(x=[x for x, _ in kept], y=[y for _, y in kept], name=name, mode="lines")
    figure.update_yaxes(rangemode="tozero")
    return _fragment(figure, empty=not figure.data)


def cdf_chart(samples: Mapping[str, Sequence[float]], *, title: str, x_label: str) -> str:
    """Empirical cumulative distribution per named sample set, a step from 0 to 1 at each value."""
    figure = go.Figure(layout=_layout(title, x_label, "fraction \u2264 x"))
    for name, values in samples.items():
        ordered = sorted(v for v in values if math.isfinite(v))
        if ordered:
            fractions = [(rank + 1) / len(ordered) for rank in range(len(ordered))]
            figure.add_scatter(x=[ordered[0], *ordered], y=[0.0, *fractions], name=name, mode="lines",
                               line={"shape": "hv"})
    figure.update_yaxes(range=[0, 1.02])
    return _fragment(figure, empty=not figure.data)


def bar_chart(values: Mapping[str, float], *, title: str, y_label: str) -> str:
    """One labelled bar per category, its value printed above it; categories keep the mapping's order."""
    figure = go.Figure(layout=_layout(title, "", y_label))
    if values:
        heights = [v if math.isfinite(v) else 0.0 for v in values.values()]
        figure.add_bar(x=list(values), y=heights, text=[f"{v:,.4g}" for v in heights], textposition="outside",
                       marker={"color": [_PALETTE[i % len(_PALETTE)] for i in range(len(heights))]},
                       showlegend=False)
    return _fragment(figure, empty=not values)


_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
            "#17becf")
