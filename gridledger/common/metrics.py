"""A minimal Prometheus registry (counters and gauges with labels, text exposition format 0.0.4).

Written here rather than pulled in as a dependency: a node needs a handful of series, and the format is small.
Counters and gauges may read their value from a function at scrape time, so the hot path never updates them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _Metric:
    kind = ""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...] = (),
                 function: Callable[[], float] | None = None) -> None:
        if function is not None and labels:
            raise ValueError("a metric read from a function has no labels")
        for item in (name, *labels):
            if not _NAME.fullmatch(item):
                raise ValueError(f"invalid metric or label name {item!r}")
        self.name = name
        self.help = help_text
        self.labels = labels
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        self._function = function

    def _key(self, labels: dict[str, str]) -> tuple[str, ...]:
        if set(labels) != set(self.labels):
            raise ValueError(f"{self.name} takes labels {self.labels}, got {tuple(labels)}")
        return tuple(str(labels[name]) for name in self.labels)

    def samples(self) -> list[tuple[tuple[str, ...], float]]:
        if self._function is not None:
            return [((), float(self._function()))]
        with self._lock:
            return sorted(self._values.items())

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]
        for key, value in self.samples():
            if key:
                pairs = ",".join(f'{label}="{_escape(v)}"' for label, v in zip(self.labels, key, strict=True))
                lines.append(f"{self.name}{{{pairs}}} {_number(value)}")
            else:
                lines.append(f"{self.name} {_number(value)}")
        return lines


class Counter(_Metric):
    kind = "counter"

    def inc(self, amount: float = 1, **labels: str) -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        key = self._key(labels)
        with self._lock:
            self._values[key] = self._values.get(key, 0) + amount

    def value(self, **labels: str) -> float:
        key = self._key(labels)
        with self._lock:
            return self._values.get(key, 0)


class Gauge(_Metric):
    kind = "gauge"

    def set(self, value: float, **labels: str) -> None:
        key = self._key(labels)
        with self._lock:
            self._values[key] = value


class Registry:
    """The metrics of one process, rendered in registration order."""

    def __init__(self) -> None:
        self._metrics: dict[str, _Metric] = {}

    def _add(self, metric: _Metric) -> _Metric:
        if metric.name in self._metrics:
            raise ValueError(f"metric {metric.name} is already registered")
        self._metrics[metric.name] = metric
        return metric

    def counter(self, name: str, help_text: str, labels: tuple[str, ...] = (),
                function: Callable[[], float] | None = None) -> Counter:
        """A counter; with `function`, one whose value is read from it at scrape time."""
        metric = Counter(name, help_text, labels, function)
        self._add(metric)
        return metric

    def gauge(self, name: str, help_text: str, labels: tuple[str, ...] = (),
              function: Callable[[], float] | None = None) -> Gauge:
        metric = Gauge(name, help_text, labels, function)
        self._add(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for metric in self._metrics.values():
            lines += metric.render()
        return "\n".join(lines) + "\n"
