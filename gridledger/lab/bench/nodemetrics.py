"""Per-stage timings from the nodes' Prometheus /metrics (operations ports), read before and after a round.

Each stage of the transaction path is a histogram on the node that runs it (docs/metrics.md); a round's increase
of a histogram's `_sum` over its `_count` is the stage's mean time per observation (per proposal, per block, per
broadcast batch) during that round. Counter increases are kept too, as the raw deltas.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping

from prometheus_client.parser import text_string_to_metric_families

Sample = dict[str, float]  # "name{labels}" -> value
_SUM, _COUNT = "_seconds_sum", "_seconds_count"


def _key(name: str, labels: Mapping[str, str]) -> str:
    if not labels:
        return name
    return name + "{" + ",".join(f'{label}="{value}"' for label, value in sorted(labels.items())) + "}"


def parse(text: str) -> tuple[Sample, set[str]]:
    """Samples of a Prometheus text exposition, and the sample names that only go up (counters, histogram sums
    and counts), whose differences are meaningful."""
    samples: Sample = {}
    growing: set[str] = set()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[_key(sample.name, sample.labels)] = sample.value
            if family.type == "counter" or (family.type == "histogram" and sample.name.endswith(("_sum", "_count"))):
                growing.add(sample.name)
    return samples, growing


def scrape(urls: Mapping[str, str]) -> dict[str, tuple[Sample, set[str]]]:
    """Every node's samples by node name; a node that does not answer is left out (the report says so)."""
    found = {}
    for node, url in urls.items():
        try:
            with urllib.request.urlopen(f"{url}/metrics", timeout=2) as response:
                found[node] = parse(response.read().decode())
        except (urllib.error.URLError, OSError, ValueError):
            continue
    return found


def base_name(key: str) -> str:
    return key.split("{", 1)[0]


def deltas(before: dict[str, tuple[Sample, set[str]]], after: dict[str, tuple[Sample, set[str]]],
           ) -> dict[str, dict[str, float]]:
    """Increases during the round of what only goes up, per node (gauges and unchanged series left out)."""
    result: dict[str, dict[str, float]] = {}
    for node, (samples, growing) in after.items():
        previous = before.get(node, ({}, set()))[0]
        changed = {key: value - previous.get(key, 0.0) for key, value in samples.items()
                   if base_name(key) in growing and value != previous.get(key, 0.0)}
        if changed:
            result[node] = changed
    return result


def stages(node_deltas: Mapping[str, float]) -> dict[str, float]:
    """Mean milliseconds per observation of each timed stage (histogram) in one node's deltas."""
    result = {}
    for key, value in node_deltas.items():
        name = base_name(key)
        if name.endswith(_SUM):
            count = node_deltas.get(key.replace(_SUM, _COUNT, 1), 0.0)
            if count:
                result[key.replace(_SUM, "_ms_mean", 1)] = value / count * 1e3
    return result
