"""Execute-order-validate on a real 2-org network: each validation code arises where it should."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from gridledger.common import txbuilder
from gridledger.common.material import load_member
from gridledger.sdk import ChaincodeError, GatewayClient
from gridledger.v1 import block_pb2, peer_pb2, transaction_pb2
from tests.integration.network import ItNetwork

pytestmark = pytest.mark.integration
VALID = block_pb2.VALID


async def endorse(client: GatewayClient, *args: str, **options):
    """Endorse, waiting out the moment after a commit when one org's peer is a block behind the other's (the
    endorsers then disagree and the gateway answers ABORTED; the SDK retries the same way)."""
    for _ in range(50):
        try:
            return await client.endorse(*args, **options)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.ABORTED:
                raise
            await asyncio.sleep(0.1)
    return await client.endorse(*args, **options)


def code_name(code: int) -> str:
    return block_pb2.ValidationCode.Name(code)


async def _submit_together(client: GatewayClient, prepared: list) -> list[peer_pb2.CommitStatusResponse]:
    """Sign and submit endorsed transactions at the same moment, so they land in one block."""
    envelopes = [txbuilder.sign_payload(client.identity, endorsed.prepared_payload) for _, endorsed in prepared]
    return await asyncio.gather(*(client.submit_envelope(envelope, proposal.tx_id)
                                  for envelope, (proposal, _) in zip(envelopes, prepared, strict=True)))


def test_two_org_policy_commits_on_every_peer(two_org_network: ItNetwork) -> None:
    async def scenario() -> None:
        async with two_org_network.user() as client:
            result = await client.submit("kv", "put", "meter-1", "42")
        for peer in two_org_network.peers:
            async with two_org_network.clients.connect(peer) as admin:
                for _ in range(50):
                    if (await admin.channel_info()).height > result.block:
                        break
                    await asyncio.sleep(0.1)
            async with two_org_network.user(peer.msp_id, peer) as reader:
                assert await reader.evaluate("kv", "get", "meter-1") == b"42"

    asyncio.run(scenario())


def test_same_read_version_in_one_block_second_is_mvcc_conflict(two_org_network: ItNetwork) -> None:
    async def scenario() -> list[peer_pb2.CommitStatusResponse]:
        async with two_org_network.user() as client:
            await client.submit("kv", "put", "alice", "100")
            first = await endorse(client, "kv", "transfer", "alice", "bob", "10")
            second = await endorse(client, "kv", "transfer", "alice", "carol", "10")
            return await _submit_together(client, [first, second])

    outcomes = asyncio.run(scenario())
    assert outcomes[0].block_number == outcomes[1].block_number
    assert sorted(code_name(o.code) for o in outcomes) == ["MVCC_READ_CONFLICT", "VALID"]


def test_phantom_read_is_detected(two_org_network: ItNetwork) -> None:
    async def in_own_namespace() -> peer_pb2.CommitStatusResponse:
        async with two_org_network.user() as client:
            # ranger's keys live in its own namespace: count:<start> records each count.
            await client.submit("ranger", "count", "a", "b")  # creates count:a inside [count:, count:~)
            counting = await endorse(client, "ranger", "count", "count:", "count:~")
            await client.submit("ranger", "count", "b", "c")  # creates count:b: a phantom for `counting`
            return (await _submit_together(client, [counting]))[0]

    outcome = asyncio.run(in_own_namespace())
    assert code_name(outcome.code) == "PHANTOM_READ_CONFLICT"


def test_endorsement_by_one_org_fails_a_two_org_policy(two_org_network: ItNetwork) -> None:
    async def scenario() -> peer_pb2.CommitStatusResponse:
        async with two_org_network.user() as client:
            prepared = await endorse(client, "kv", "put", "solo-endorsed", "1", endorsing_orgs=["Org1MSP"])
            return (await _submit_together(client, [prepared]))[0]

    assert code_name(asyncio.run(scenario()).code) == "ENDORSEMENT_POLICY_FAILURE"


def _codes_of(blocks: list[block_pb2.Block], tx_id: str) -> list[str]:
    codes = []
    for block in blocks:
        for raw, code in zip(block.data.envelopes, block.metadata.validation_codes, strict=True):
            payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(raw).payload)
            if transaction_pb2.Header.FromString(payload.header).tx_id == tx_id:
                codes.append(code_name(code))
    return codes


def test_duplicate_txid_is_rejected_and_stays_in_the_block(two_org_network: ItNetwork) -> None:
    async def scenario() -> list[str]:
        async with two_org_network.user() as client:
            proposal, endorsed = await endorse(client, "kv", "put", "dup", "1")
            envelope = txbuilder.sign_payload(client.identity, endorsed.prepared_payload)
            first = await client.submit_envelope(envelope, proposal.tx_id)
            await client.gateway.Submit(peer_pb2.SubmitRequest(envelope=envelope))
            marker = await client.submit("kv", "put", "after-dup", "1")  # ordered after the duplicate
            blocks = [b async for b in client.blocks(first.block_number, stop=marker.block + 1)]
            return _codes_of(blocks, proposal.tx_id)

    assert asyncio.run(scenario()) == ["VALID", "DUPLICATE_TXID"]


def test_tampered_endorsement_signature_is_rejected(two_org_network: ItNetwork) -> None:
    async def scenario() -> peer_pb2.CommitStatusResponse:
        async with two_org_network.user() as client:
            proposal, endorsed = await endorse(client, "kv", "put", "tampered", "1")
            payload = transaction_pb2.Payload.FromString(endorsed.prepared_payload)
            transaction = transaction_pb2.Transaction.FromString(payload.data)
            signature = bytearray(transaction.endorsements[0].signature)
            signature[5] ^= 0xFF
            transaction.endorsements[0].signature = bytes(signature)
            payload.data = transaction.SerializeToString()
            envelope = txbuilder.sign_payload(client.identity, payload.SerializeToString())
            return await client.submit_envelope(envelope, proposal.tx_id)

    assert code_name(asyncio.run(scenario()).code) == "BAD_SIGNATURE"


def test_write_outside_the_chaincode_namespace_is_rejected(two_org_network: ItNetwork) -> None:
    """Two colluding endorsers (real peer keys) sign a write set that reaches into an undeployed namespace."""
    net = two_org_network
    crypto = net.local.crypto_dir
    orgs = ["OrdererMSP", "Org1MSP", "Org2MSP"]

    async def scenario() -> peer_pb2.CommitStatusResponse:
        async with net.user() as client:
            proposal, endorsed = await endorse(client, "kv", "put", "honest", "1")
            payload = transaction_pb2.Payload.FromString(endorsed.prepared_payload)
            transaction = transaction_pb2.Transaction.FromString(payload.data)
            response_payload = transaction_pb2.ProposalResponsePayload.FromString(
                transaction.proposal_response_payload)
            response_payload.results.ns_rwset.add(namespace="token").writes.add(key="treasury", value=b"1000000")
            forged = response_payload.SerializeToString()
            transaction.proposal_response_payload = forged
            del transaction.endorsements[:]
            for msp_id, name in (("Org1MSP", "peer0-org1"), ("Org2MSP", "peer0-org2")):
                peer = load_member(crypto, msp_id, name, orgs).identity
                transaction.endorsements.add(endorser=peer.serialized(),
                                             signature=peer.sign(txbuilder.endorsement_message(
                                                 forged, peer.certificate)))
            payload.data = transaction.SerializeToString()
            envelope = txbuilder.sign_payload(client.identity, payload.SerializeToString())
            return await client.submit_envelope(envelope, proposal.tx_id)

    assert code_name(asyncio.run(scenario()).code) == "ILLEGAL_WRITESET"


def test_failing_and_looping_chaincode_return_errors_and_the_peer_keeps_serving(two_org_network: ItNetwork) -> None:
    async def scenario() -> None:
        async with two_org_network.user() as client:
            with pytest.raises(ChaincodeError) as raised:
                await client.evaluate("faulty", "boom", "meltdown")
            assert raised.value.status == 500 and "meltdown" in raised.value.message
            with pytest.raises(ChaincodeError) as looped:
                await client.evaluate("faulty", "spin", timeout=60)
            assert looped.value.status == 500
            result = await client.submit("kv", "put", "still-alive", "yes")
            assert result.code == VALID
            assert await client.evaluate("faulty", "ok") == b"ok"

    asyncio.run(scenario())


def test_streamed_gateway_path_commits_many_and_reports_errors_per_request(two_org_network: ItNetwork) -> None:
    async def scenario() -> None:
        async with two_org_network.user() as client:
            results = await asyncio.gather(*(client.submit_streamed("kv", "put", f"stream-{i}", str(i))
                                             for i in range(60)))
            assert {r.code for r in results} == {VALID}
            assert len({r.tx_id for r in results}) == 60
            with pytest.raises(ChaincodeError) as refused:
                await client.submit_streamed("kv", "transfer", "nobody", "somebody", "5")
            assert refused.value.status == 500 and "insufficient" in refused.value.message
            assert await client.evaluate("kv", "get", "stream-59") == b"59"

    asyncio.run(scenario())
