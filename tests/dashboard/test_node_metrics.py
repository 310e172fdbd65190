"""Every node of a running network, scraped and parsed with prometheus-client: each series is documented in
docs/metrics.md, and the transaction path's histograms move under load on the nodes that run each stage."""

from __future__ import annotations

import asyncio
import re
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.network import REPO, ItNetwork

pytestmark = pytest.mark.integration

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> tuple[Samples, set[str]]:
    """Samples keyed by (name, sorted labels), and the family names."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=5) as reply:
        families = list(text_string_to_metric_families(reply.read().decode()))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}
    return samples, {f.name for f in families}


def operations_urls(net: ItNetwork) -> dict[str, str]:
    return {node.name: f"http://127.0.0.1:{node.operations_port}" for _, _, node in net.clients.network.all_nodes()}


def count(samples: Samples, histogram: str, **labels: str) -> float:
    return samples.get((f"{histogram}_count", tuple(sorted(labels.items()))), 0.0)


def settled(urls: dict[str, str], peers: list[str], timeout_s: float = 15.0) -> dict[str, tuple[Samples, set[str]]]:
    """Every node scraped once every peer has committed as many blocks as the most advanced one: a submit returns
    when the gateway's peer committed, and the other org's peers may be a block behind."""
    deadline = time.monotonic() + timeout_s
    while True:
        scraped = {node: scrape(url) for node, url in urls.items()}
        heights = {scraped[peer][0][("gridledger_peer_height", ())] for peer in peers}
        if len(heights) == 1 or time.monotonic() > deadline:
            return scraped
        time.sleep(0.1)


def test_every_node_exports_documented_series_and_histograms_move_under_load(live_network: ItNetwork) -> None:
    urls = operations_urls(live_network)
    before = {node: scrape(url)[0] for node, url in urls.items()}

    async def load() -> None:
        async with live_network.user() as client:
            await asyncio.gather(*(client.submit("kv", "put", f"metrics-{i}", str(i)) for i in range(20)))

    asyncio.run(load())
    peers = [node for _, role, node in live_network.clients.network.all_nodes() if role == "peer"]
    after = settled(urls, [peer.name for peer in peers])

    documented = set(re.findall(r"`([a-z_]+)(?:\{[a-z_]+\})?`", (REPO / "docs" / "metrics.md").read_text()))
    for node, (_, families) in after.items():
        # The parser names a counter's family without its `_total`.
        missing = {name for name in families if name not in documented and f"{name}_total" not in documented}
        assert not missing, f"{node} exports series docs/metrics.md does not list: {sorted(missing)}"

    gateway = live_network.clients.first_peer("Org1MSP").name
    for peer in peers:
        old, (new, _) = before[peer.name], after[peer.name]
        for stage in ("gridledger_peer_endorse_duration_seconds", "gridledger_peer_block_validate_duration_seconds",
                      "gridledger_peer_block_commit_duration_seconds"):
            assert count(new, stage) > count(old, stage), (peer.name, stage)
        kv = "gridledger_peer_chaincode_execute_duration_seconds"
        assert count(new, kv, chaincode="kv") >= count(old, kv, chaincode="kv") + 20, peer.name
        valid = ("gridledger_peer_transactions_total", (("code", "VALID"),))
        assert new[valid] >= old.get(valid, 0) + 20, peer.name
        assert new[("gridledger_peer_height", ())] > old[("gridledger_peer_height", ())]
        order = "gridledger_peer_order_duration_seconds"
        ordered = count(new, order) - count(old, order)
        assert ordered == (20 if peer.name == gateway else 0), peer.name

    orderers = [node.name for _, node in live_network.clients.network.orderer_nodes()]
    leaders = [name for name in orderers if after[name][0][("gridledger_raft_is_leader", ())] == 1]
    assert len(leaders) == 1
    [leader] = leaders
    for name in orderers:
        samples = after[name][0]
        assert samples[("gridledger_raft_term", ())] >= 1
        assert samples[("gridledger_raft_leader", (("consenter", leader),))] == 1
        assert samples[("process_cpu_seconds_total", ())] > 0
    proposal = "gridledger_raft_proposal_duration_seconds"
    assert count(after[leader][0], proposal) > count(before[leader], proposal)
    submitted = sum(count(after[n][0], "gridledger_orderer_submit_duration_seconds")
                    - count(before[n], "gridledger_orderer_submit_duration_seconds") for n in orderers)
    assert submitted >= 1
