"""kill -9 a peer while transactions stream in; after a restart it catches up and nothing acknowledged is lost."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest

from gridledger.ops.verify import verify_network
from gridledger.sdk import GatewayClient
from tests.integration.network import REPO, TWO_ORGS, running_network

pytestmark = pytest.mark.integration


async def stream_writes(client: GatewayClient, prefix: str, count: int, acknowledged: list[str],
                         concurrency: int = 10, timeout: float = 10) -> None:
    """Submit `count` puts; record the keys whose commit was acknowledged as VALID. Failures are tolerated: the
    gateway peer stays up, but endorsements from the killed peer's org may fail over to its sibling."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        key = f"{prefix}-{i:04d}"
        async with semaphore:
            try:
                # A transaction whose outcome is unknown (its orderer died) waits out this timeout.
                await client.submit("kv", "put", key, str(i), timeout=timeout)
            except Exception:  # the point of the test is what happens to the acknowledged ones
                return
            acknowledged.append(key)

    await asyncio.gather(*(one(i) for i in range(count)))


def test_peer_killed_mid_stream_recovers_with_every_acknowledged_transaction(tmp_path: Path) -> None:
    with running_network(tmp_path) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        victim = next(p for p in net.peers if p.name == "peer0-org2")  # Org2's first-choice endorser
        acknowledged: list[str] = []

        async def scenario() -> None:
            async with net.user("Org1MSP") as client:
                writing = asyncio.create_task(stream_writes(client, "load", 500, acknowledged))
                await asyncio.sleep(1.0)
                net.local.stop_node(victim.name, sig=signal.SIGKILL)
                await writing
            net.local.start_node(victim.name, "peer")
            net.local.wait_healthy(net.clients.network, timeout=60)
            report = await verify_network(net.clients, settle_seconds=30)
            assert report.ok, report.problems
            for peer in net.peers:
                async with net.user(peer.msp_id, peer) as reader:
                    stored = await reader.evaluate("kv", "range", "load-", "load-~")
                    missing = set(acknowledged) - {key for key, _ in json.loads(stored)}
                    assert not missing, f"{peer.name} lacks acknowledged {sorted(missing)[:5]}"

        asyncio.run(scenario())
        assert len(acknowledged) > 250
