"""Every node's Prometheus metrics, on prometheus-client: one registry per node, with the process collectors.

A registry per node, not prometheus-client's global one, because tests run several consenters or peers in one
process and each must expose only its own series. Values that already live in a node's state (heights, terms,
views) are read from a function at scrape time, so the hot path never updates them; events are counted as they
happen, and the stages of the transaction path are histograms (`LATENCY_BUCKETS`). docs/metrics.md lists every
series a node exposes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

# The `_created` series double every counter and histogram and nothing here reads them.
disable_created_metrics()

# Seconds, from half a millisecond (one endorsement of a small chaincode) to ten seconds (a block under a raft
# election): the range the transaction path's stages span on a laptop and in containers.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _FunctionCounter(Collector):
    """A counter whose value another object keeps (e.g. a transport's dropped messages), read at scrape time."""

    def __init__(self, name: str, documentation: str, function: Callable[[], float]) -> None:
        self._name = name
        self._documentation = documentation
        self._function = function

    def collect(self) -> Iterable[CounterMetricFamily]:
        yield CounterMetricFamily(self._name, self._documentation, value=float(self._function()))


class NodeRegistry:
    """The metrics of one node. Names are given without the `_total` suffix prometheus-client adds to counters."""

    def __init__(self, process: bool = False) -> None:
        """`process`: also export the process, platform and garbage-collector series (once per OS process)."""
        self.registry = CollectorRegistry(auto_describe=True)
        if process:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def counter_function(self, name: str, documentation: str, function: Callable[[], float]) -> None:
        """A counter kept elsewhere; `name` here includes `_total`, as exposed."""
        self.registry.register(_FunctionCounter(name, documentation, function))

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = (),
              function: Callable[[], float] | None = None) -> Gauge:
        gauge = Gauge(name, documentation, labels, registry=self.registry)
        if function is not None:
            gauge.set_function(function)
        return gauge

    def histogram(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Histogram:
        return Histogram(name, documentation, labels, registry=self.registry, buckets=LATENCY_BUCKETS)
