"""The SDK against a real 2-org network: submit/evaluate, typed errors, retries, the batched path, events."""

from __future__ import annotations

import asyncio

import pytest

from gridledger.sdk import (
    NO_RETRY,
    ChaincodeError,
    Gateway,
    GridLedgerError,
    MvccReadConflict,
    NotFound,
    RetryPolicy,
    SyncGateway,
)
from tests.sdk.support import SmallNetwork

pytestmark = pytest.mark.integration


def test_submit_evaluate_and_commit_status(sdk_network: SmallNetwork) -> None:
    async def scenario():
        async with await sdk_network.gateway() as gateway:
            network = gateway.network(sdk_network.channel)
            kv = network.contract("kv")
            put = await kv.submit("put", "meter-1", "1250")
            value = await kv.evaluate("get", "meter-1")
            status = await network.commit_status(put.tx_id, timeout=5)
            moved = await kv.submit("transfer", "meter-1", "meter-2", 250)  # an int argument travels as JSON text
        async with await sdk_network.gateway("Org2MSP") as other:  # the other org's peer sees the same state
            # once it committed the block too: submit returned when Org1's peer did, and Org2's may be a block behind
            await other.network(sdk_network.channel).commit_status(moved.tx_id, timeout=10)
            seen = await other.network(sdk_network.channel).contract("kv").evaluate("get", "meter-2")
        return put, value, status, moved, seen

    put, value, status, moved, seen = asyncio.run(scenario())
    assert (put.code_name, put.attempts, put.streamed) == ("VALID", 1, False)
    assert len(put.tx_id) == 64 and put.block > 0
    assert value == b"1250"
    assert status.valid and status.block == put.block and status.tx_id == put.tx_id
    assert moved.result == b'{"meter-1":1000,"meter-2":250}' and moved.block > put.block
    assert seen == b"250"


def test_sync_wrapper(sdk_network: SmallNetwork) -> None:
    material = sdk_network.member()
    with SyncGateway.connect(sdk_network.peer_address(), material.identity, material.tls) as gateway:
        kv = gateway.network(sdk_network.channel).contract("kv")
        result = kv.submit("put", "sync-key", "sync-value")
        assert kv.evaluate("get", "sync-key") == b"sync-value"
        assert gateway.network(sdk_network.channel).commit_status(result.tx_id).block == result.block


def test_chaincode_and_status_errors_are_typed(sdk_network: SmallNetwork) -> None:
    async def scenario():
        async with await sdk_network.gateway() as gateway:
            network = gateway.network(sdk_network.channel)
            with pytest.raises(ChaincodeError) as missing:
                await network.contract("kv").evaluate("get", "no-such-key")
            with pytest.raises(NotFound) as undeployed:
                await network.contract("nothere").submit("put", "k", "v")
        return missing.value, undeployed.value

    missing, undeployed = asyncio.run(scenario())
    assert missing.status == 400 and "no-such-key" in missing.message and not missing.retryable
    assert undeployed.stage == "endorse" and "nothere" in undeployed.details and undeployed.attempts == 1


async def _hot_transfers(sdk_network: SmallNetwork, count: int, retry: RetryPolicy, seed: int):
    """`count` concurrent transfers out of one balance: all read the same version, so they conflict."""
    retries: list[tuple[int, GridLedgerError, float]] = []
    async with await sdk_network.gateway(retry=retry) as gateway:
        kv = gateway.network(sdk_network.channel).contract("kv")
        source = f"hot-{seed}"
        await kv.submit("put", source, "1000")
        outcomes = await asyncio.gather(
            *(kv.submit("transfer", source, f"cold-{seed}-{i}", 10,
                        on_retry=lambda attempt, error, delay: retries.append((attempt, error, delay)))
              for i in range(count)), return_exceptions=True)
        balance = int(await kv.evaluate("get", source))
    return outcomes, retries, balance


def test_mvcc_conflicts_surface_as_typed_errors_without_retry(sdk_network: SmallNetwork) -> None:
    outcomes, _, balance = asyncio.run(_hot_transfers(sdk_network, 4, NO_RETRY, seed=1))
    conflicts = [o for o in outcomes if isinstance(o, MvccReadConflict)]
    successes = [o for o in outcomes if not isinstance(o, BaseException)]
    assert conflicts, outcomes
    assert len(conflicts) + len(successes) == 4
    first = conflicts[0]
    assert first.code_name == "MVCC_READ_CONFLICT" and first.retryable and first.attempts == 1
    assert balance == 1000 - 10 * len(successes)


def test_submit_retries_mvcc_conflicts_within_the_bound(sdk_network: SmallNetwork) -> None:
    policy = RetryPolicy(max_attempts=8, initial_backoff=0.05, max_backoff=0.4)
    outcomes, retries, balance = asyncio.run(_hot_transfers(sdk_network, 4, policy, seed=2))
    assert all(not isinstance(o, BaseException) for o in outcomes), outcomes
    attempts = [o.attempts for o in outcomes]
    assert max(attempts) > 1 and max(attempts) <= policy.max_attempts
    assert sum(a - 1 for a in attempts) == len(retries)
    assert all(isinstance(error, MvccReadConflict) for _, error, _ in retries)
    assert all(0 <= delay <= policy.max_backoff for _, _, delay in retries)
    assert balance == 1000 - 40


def test_many_submits_in_flight_ride_the_batched_stream(sdk_network: SmallNetwork) -> None:
    async def scenario():
        async with await sdk_network.gateway(stream_threshold=4) as gateway:
            kv = gateway.network(sdk_network.channel).contract("kv")
            alone = await kv.submit("put", "alone", "1")
            burst = await asyncio.gather(*(kv.submit("put", f"burst-{i}", str(i)) for i in range(24)))
            values = await asyncio.gather(*(kv.evaluate("get", f"burst-{i}") for i in range(24)))
            return alone, burst, values, gateway.in_flight

    alone, burst, values, in_flight = asyncio.run(scenario())
    assert not alone.streamed
    assert all(r.code_name == "VALID" for r in burst)
    assert sum(r.streamed for r in burst) >= 10
    assert values == [str(i).encode() for i in range(24)]
    assert in_flight == 0


def test_chaincode_events_filtered_by_name(sdk_network: SmallNetwork) -> None:
    async def scenario():
        async with await sdk_network.gateway() as gateway:
            network = gateway.network(sdk_network.channel)
            notifier = network.contract("notifier")
            before = await notifier.submit("emit", "noise", "n0")  # the listener starts at this block
            received = []

            async def listen() -> None:
                async for event in notifier.events(name="alarm", start=before.block):
                    received.append(event)
                    if len(received) == 2:
                        return

            listener = asyncio.create_task(listen())
            first = await notifier.submit("emit", "alarm", "overload feeder 7")
            await notifier.submit("emit", "noise", "n1")
            second = await notifier.submit("emit", "alarm", "voltage dip")
            await asyncio.wait_for(listener, 30)
            statuses = [b async for b in network.block_events(first.block, stop=first.block + 1)]
        return before, first, second, received, statuses

    before, first, second, received, statuses = asyncio.run(scenario())
    assert [(e.chaincode, e.name, e.payload) for e in received] == [
        ("notifier", "alarm", b"overload feeder 7"), ("notifier", "alarm", b"voltage dip")]
    assert (received[0].tx_id, received[0].block) == (first.tx_id, first.block)
    assert received[1].tx_id == second.tx_id
    assert before.block <= first.block
    [block] = statuses
    [mine] = [t for t in block.transactions if t.tx_id == first.tx_id]
    assert mine.valid and [e.name for e in mine.events] == ["alarm"]


def test_connect_local_finds_peer_identity_tls_and_channel_in_the_data_folder(sdk_network: SmallNetwork) -> None:
    data_dir = sdk_network.local.data_dir

    async def scenario():
        async with await Gateway.connect_local(data_dir, "Org2MSP", "user1") as gateway:
            kv = gateway.network().contract("kv")  # the channel comes from the folder's network definition
            put = await kv.submit("put", "local-key", "from-org2")
            return gateway.address, gateway.identity.msp_id, put, await kv.evaluate("get", "local-key")

    address, msp_id, put, value = asyncio.run(scenario())
    assert (address, msp_id) == (sdk_network.peer_address("Org2MSP"), "Org2MSP")
    assert put.code_name == "VALID" and value == b"from-org2"
    with SyncGateway.connect_local(data_dir) as gateway:  # first peer org, its first client
        assert gateway.gateway.identity.msp_id == "Org1MSP"
        assert gateway.network().contract("kv").evaluate("get", "local-key") == b"from-org2"
