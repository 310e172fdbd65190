"""What the dashboard knows of each node: its /healthz and the few /metrics series it charts, read over the node's
operations port (docs/metrics.md).

Stage latencies are the increase of each stage histogram's sum over its count between two reads, so a chart point
is the mean time per observation during the last poll interval, not since the node started.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httpx
from prometheus_client.parser import text_string_to_metric_families

# Chart name -> the histogram timing that stage (peers and raft orderers; docs/metrics.md).
STAGES = {
    "endorse": "gridledger_peer_endorse_duration_seconds",
    "chaincode": "gridledger_peer_chaincode_execute_duration_seconds",
    "order": "gridledger_peer_order_duration_seconds",
    "validate": "gridledger_peer_block_validate_duration_seconds",
    "commit": "gridledger_peer_block_commit_duration_seconds",
}
_CHANGES = ("gridledger_raft_leader_changes", "gridledger_bft_view_changes")
TIMEOUT_S = 1.0


@dataclass
class NodeReading:
    """One read of one node; `healthy` is False when either endpoint did not answer in time."""

    name: str
    role: str
    msp_id: str
    healthy: bool = False
    health: dict = field(default_factory=dict)
    stage_sums: dict[str, tuple[float, float]] = field(default_factory=dict)  # stage -> (sum, count)
    changes: float = 0.0  # leader changes (raft) or view changes (bft) this node has seen
    error: str = ""

    def view(self) -> dict[str, object]:
        consensus = {key: self.health[key] for key in ("consensus", "term", "view", "leader") if key in self.health}
        return {"name": self.name, "role": self.role, "msp_id": self.msp_id, "healthy": self.healthy,
                "height": self.health.get("height"), "changes": self.changes, "error": self.error, **consensus}


def _stage_sums(text: str) -> tuple[dict[str, tuple[float, float]], float]:
    by_family = {family.name: family for family in text_string_to_metric_families(text)}
    sums: dict[str, tuple[float, float]] = {}
    for stage, name in STAGES.items():
        family = by_family.get(name)
        if family is None:
            continue
        total = sum(s.value for s in family.samples if s.name == f"{name}_sum")
        count = sum(s.value for s in family.samples if s.name == f"{name}_count")
        sums[stage] = (total, count)
    changes = sum(family.samples[0].value for name in _CHANGES if (family := by_family.get(name)) and family.samples)
    return sums, changes


async def read_node(client: httpx.AsyncClient, url: str, name: str, role: str, msp_id: str) -> NodeReading:
    reading = NodeReading(name, role, msp_id)
    try:
        health, metrics = await asyncio.gather(client.get(f"{url}/healthz", timeout=TIMEOUT_S),
                                               client.get(f"{url}/metrics", timeout=TIMEOUT_S))
        health.raise_for_status()
        metrics.raise_for_status()
        reading.health = health.json()
        reading.stage_sums, reading.changes = _stage_sums(metrics.text)
        reading.healthy = reading.health.get("status") == "ok"
    except (httpx.HTTPError, ValueError) as exc:
        reading.error = str(exc) or type(exc).__name__
    return reading


def stage_means(before: list[NodeReading], after: list[NodeReading]) -> dict[str, float]:
    """Milliseconds per observation of each stage between two reads, over every node that timed it."""
    previous = {reading.name: reading.stage_sums for reading in before}
    means = {}
    for stage in STAGES:
        total = count = 0.0
        for reading in after:
            now, then = reading.stage_sums.get(stage), previous.get(reading.name, {}).get(stage)
            if now is not None and then is not None and now[1] > then[1]:
                total += now[0] - then[0]
                count += now[1] - then[1]
        if count:
            means[stage] = total / count * 1e3
    return means
