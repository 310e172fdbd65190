"""Line, CDF and bar charts as standalone <svg> strings.

Hand-written so reports need no plotting library; every text is escaped, axes carry "nice" ticks (1, 2, 5 x 10^k) so
readers can read values off them, and empty input yields an empty frame with a note rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 40, 60
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf")
TICKS = 5


def nice_ticks(low: float, high: float, count: int = TICKS) -> list[float]:
    """Round tick values covering [low, high]; a degenerate range is widened so the axis still has a span."""
    if not (math.isfinite(low) and math.isfinite(high)):
        low, high = 0.0, 1.0
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.5:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def format_value(value: float) -> str:
    """A bar's own value: whole numbers with thousands separators, others to 3 significant digits."""
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def format_tick(value: float) -> str:
    """Short tick label: integers without decimals, large values with k/M suffixes, small ones with 3 digits."""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:g}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:g}k"
    if value == int(value):
        return str(int(value))
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


class Frame:
    """Plot area with linear scales; converts data coordinates to pixels and draws axes, ticks and labels."""

    def __init__(self, x_ticks: Sequence[float], y_ticks: Sequence[float]) -> None:
        self.x_ticks, self.y_ticks = list(x_ticks), list(y_ticks)
        self.x_min, self.x_max = self.x_ticks[0], self.x_ticks[-1]
        self.y_min, self.y_max = self.y_ticks[0], self.y_ticks[-1]

    def px(self, x: float) -> float:
        return LEFT + (x - self.x_min) / (self.x_max - self.x_min) * (WIDTH - LEFT - RIGHT)

    def py(self, y: float) -> float:
        return HEIGHT - BOTTOM - (y - self.y_min) / (self.y_max - self.y_min) * (HEIGHT - TOP - BOTTOM)

    def axes(self, x_label: str, y_label: str, *, x_tick_labels: bool = True) -> list[str]:
        """Grid lines, tick labels and axis titles."""
        parts = []
        for y in self.y_ticks:
            py = self.py(y)
            parts.append(f'<line x1="{LEFT}" y1="{py:.1f}" x2="{WIDTH - RIGHT}" y2="{py:.1f}" class="grid"/>')
            parts.append(f'<text x="{LEFT - 6}" y="{py + 4:.1f}" text-anchor="end">{escape(format_tick(y))}</text>')
        if x_tick_labels:
            for x in self.x_ticks:
                px = self.px(x)
                parts.append(f'<line x1="{px:.1f}" y1="{HEIGHT - BOTTOM}" x2="{px:.1f}" y2="{HEIGHT - BOTTOM + 5}" '
                             'class="axis"/>')
                parts.append(f'<text x="{px:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">'
                             f'{escape(format_tick(x))}</text>')
        parts.append(f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
                     'class="axis"/>')
        parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" class="axis"/>')
        parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{HEIGHT - 14}" text-anchor="middle">'
                     f'{escape(x_label)}</text>')
        mid = (TOP + HEIGHT - BOTTOM) / 2
        parts.append(f'<text x="16" y="{mid:.1f}" text-anchor="middle" transform="rotate(-90 16 {mid:.1f})">'
                     f'{escape(y_label)}</text>')
        return parts


def document(title: str, body: Sequence[str]) -> str:
    """Wrap chart elements in an <svg> root with a title and the shared styles."""
    style = ("<style>text{font:12px sans-serif;fill:#222}.title{font-size:14px;font-weight:bold}"
             ".grid{stroke:#ddd;stroke-width:1}.axis{stroke:#444;stroke-width:1}"
             ".note{fill:#888;font-style:italic}</style>")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img"><title>{escape(title)}</title>{style}'
            f'<text x="{WIDTH / 2:.1f}" y="22" text-anchor="middle" class="title">{escape(title)}</text>'
            + "".join(body) + "</svg>")


def no_data_note() -> str:
    return (f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{(TOP + HEIGHT - BOTTOM) / 2:.1f}" '
            'text-anchor="middle" class="note">no data</text>')


def legend(names: Sequence[str], *, bottom: bool = False) -> list[str]:
    """One coloured swatch and name per series, in the plot area's top-right corner (bottom-right with `bottom`:
    where a CDF leaves room)."""
    if not names:
        return []
    height = len(names) * 16 + 6
    top = HEIGHT - BOTTOM - height - 8 if bottom else TOP - 4
    parts = [f'<rect x="{WIDTH - RIGHT - 156}" y="{top}" width="152" height="{height}" '
             'fill="#fff" fill-opacity="0.85" stroke="#ccc"/>']
    for index, name in enumerate(names):
        y = top + 12 + index * 16
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{WIDTH - RIGHT - 150}" y="{y - 8}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{WIDTH - RIGHT - 135}" y="{y + 1}">{escape(name)}</text>')
    return parts


def polylines(series: Mapping[str, Sequence[tuple[float, float]]], *, x_label: str, y_label: str,
              y_floor: float | None = None, y_ceiling: float | None = None, legend_bottom: bool = False) -> list[str]:
    """Axes plus one polyline per non-empty series; shared by the line and CDF charts."""
    points = [p for values in series.values() for p in values if math.isfinite(p[0]) and math.isfinite(p[1])]
    if not points:
        frame = Frame(nice_ticks(0, 1), nice_ticks(0, 1))
        return [*frame.axes(x_label, y_label), no_data_note()]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    y_low = min(ys) if y_floor is None else min(y_floor, min(ys))
    y_high = max(ys) if y_ceiling is None else y_ceiling
    frame = Frame(nice_ticks(min(xs), max(xs)), nice_ticks(y_low, y_high))
    parts = frame.axes(x_label, y_label)
    for index, values in enumerate(series.values()):
        coords = " ".join(f"{frame.px(x):.1f},{frame.py(y):.1f}" for x, y in values
                          if math.isfinite(x) and math.isfinite(y))
        if coords:
            colour = PALETTE[index % len(PALETTE)]
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
    return parts + legend(list(series), bottom=legend_bottom)


def line_chart(series: Mapping[str, Sequence[tuple[float, float]]], *, title: str, x_label: str,
               y_label: str) -> str:
    """One line per named series of (x, y) points; the y axis starts at zero so rates are not visually inflated."""
    return document(title, polylines(series, x_label=x_label, y_label=y_label, y_floor=0.0))


def cdf_chart(samples: Mapping[str, Sequence[float]], *, title: str, x_label: str) -> str:
    """Empirical cumulative distribution per named sample set, drawn as a step function from 0 to 1."""
    steps: dict[str, list[tuple[float, float]]] = {}
    for name, values in samples.items():
        ordered = sorted(v for v in values if math.isfinite(v))
        count = len(ordered)
        points: list[tuple[float, float]] = []
        for rank, value in enumerate(ordered):
            points.append((value, rank / count))
            points.append((value, (rank + 1) / count))
        steps[name] = points
    return document(title, polylines(steps, x_label=x_label, y_label="fraction \u2264 x", y_floor=0.0,
                                     y_ceiling=1.0, legend_bottom=True))


def bar_chart(values: Mapping[str, float], *, title: str, y_label: str) -> str:
    """One labelled bar per category, the value printed above it; categories keep the mapping's order."""
    if not values:
        frame = Frame(nice_ticks(0, 1), nice_ticks(0, 1))
        return document(title, [*frame.axes("", y_label, x_tick_labels=False), no_data_note()])
    heights = [v if math.isfinite(v) else 0.0 for v in values.values()]
    frame = Frame([0.0, float(len(heights))], nice_ticks(min(0.0, *heights), max(0.0, *heights)))
    parts = frame.axes("", y_label, x_tick_labels=False)
    slot = (WIDTH - LEFT - RIGHT) / len(heights)
    for index, (name, height) in enumerate(zip(values, heights, strict=True)):
        x = LEFT + index * slot + slot * 0.15
        top, base = frame.py(max(height, 0.0)), frame.py(min(height, 0.0))
        colour = PALETTE[index % len(PALETTE)]
        centre = x + slot * 0.35
        parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{slot * 0.7:.1f}" height="{base - top:.1f}" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{centre:.1f}" y="{top - 4:.1f}" text-anchor="middle">{escape(format_value(height))}'
                     '</text>')
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(name)}</text>')
    return document(title, parts)
