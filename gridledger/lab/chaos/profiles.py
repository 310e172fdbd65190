"""Link profiles a chaos schedule applies to a node's links, from the meter-backhaul links the market literature
names (shared/domain/market.md): broadband at tens of Mbps, cellular AMI at hundreds of kbps with 200-600 ms, mesh
AMI at tens of kbps. Where the source gives no figure (jitter, loss, mesh latency) the values are ours, chosen as
typical for the medium and stated in docs/reliability.md.
"""

from __future__ import annotations

from gridledger.common.linkfaults import LinkFault

PROFILES: dict[str, LinkFault] = {
    "broadband": LinkFault(delay_ms=10, jitter_ms=5, bandwidth_kbps=20_000),
    "cellular-ami": LinkFault(delay_ms=400, jitter_ms=200, loss=0.01, bandwidth_kbps=300),
    "mesh-ami": LinkFault(delay_ms=150, jitter_ms=100, loss=0.02, bandwidth_kbps=40),
}
