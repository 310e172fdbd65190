"""Per-stage timings from the nodes' Prometheus /metrics (operations ports), read before and after a round.

The nodes export counters, not histograms: time spent per stage as `*_seconds_total` (peers: validate, commit)
and `*_seconds_sum`/`*_seconds_count` pairs (raft proposal latency). The round's deltas give mean time per block
(or per proposal) for each stage; the raw counter deltas are kept too.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Mapping

Sample = dict[str, float]  # "name{labels}" -> value
_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)$")
BLOCKS = "gridledger_peer_blocks_committed_total"


def parse(text: str) -> tuple[Sample, set[str]]:
    """Samples of a Prometheus text exposition, and the names declared as counters."""
    samples: Sample = {}
    counters: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            if len(parts) == 4 and parts[3] == "counter":
                counters.add(parts[2])
            continue
        match = _LINE.match(line)
        if match:
            try:
                samples[match.group(1)] = float(match.group(2))
            except ValueError:
                continue
    return samples, counters


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
    """Counter increases during the round, per node (gauges and unchanged counters left out)."""
    result: dict[str, dict[str, float]] = {}
    for node, (samples, counters) in after.items():
        previous = before.get(node, ({}, set()))[0]
        changed = {key: value - previous.get(key, 0.0) for key, value in samples.items()
                   if base_name(key) in counters and value != previous.get(key, 0.0)}
        if changed:
            result[node] = changed
    return result


def stages(node_deltas: Mapping[str, float]) -> dict[str, float]:
    """Mean milliseconds per block or per event for each timed stage of one node's counter deltas."""
    result = {}
    blocks = node_deltas.get(BLOCKS, 0.0)
    for key, value in node_deltas.items():
        name = base_name(key)
        if name.endswith("_seconds_total") and blocks:
            result[f"{name.removesuffix('_seconds_total')}_ms_per_block"] = value / blocks * 1e3
        elif name.endswith("_seconds_sum"):
            count = node_deltas.get(key.replace("_seconds_sum", "_seconds_count", 1), 0.0)
            if count:
                result[f"{name.removesuffix('_seconds_sum')}_ms_mean"] = value / count * 1e3
    return result
