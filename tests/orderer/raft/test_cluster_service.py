"""A healthy three-orderer raft service: followers forward broadcasts, the leader cuts and signs every block, the
Cluster service admits only consenters and refuses malformed messages precisely, metrics tell who leads; and a
single-orderer raft channel works too."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from gridledger.common import grpcutil, material
from gridledger.v1 import orderer_pb2, raft_pb2
from tests.orderer import support
from tests.orderer.raft.cluster import ORGS, RaftCluster, chain_of, cluster_tls, verify_cluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def cluster(raft_test_crypto: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RaftCluster]:
    running = RaftCluster.create(tmp_path_factory.mktemp("raft-service"), raft_test_crypto)
    try:
        running.start()
        running.wait_leader()
        yield running
    finally:
        running.kill_all()


def test_every_orderer_accepts_broadcasts_and_the_leader_signs_every_block(cluster: RaftCluster) -> None:
    leader = cluster.wait_leader()
    user = cluster.identity()
    sent = {name: [support.make_envelope(user, b"via %s %d" % (name.encode(), i)) for i in range(15)]
            for name in cluster.names}

    async def run() -> None:
        async def send(name: str) -> list[orderer_pb2.BroadcastResponse]:
            async with grpc.aio.secure_channel(cluster.address(name), cluster_tls(cluster)) as channel:
                return await support.broadcast(channel, [sent[name][:7], sent[name][7:]])

        answers = await asyncio.gather(*(send(name) for name in cluster.names))
        for responses in answers:
            assert [r.status for response in responses for r in response.results] == [orderer_pb2.SUCCESS] * 15

    asyncio.run(run())
    acked = [support.tx_id_of(e.SerializeToString()) for envelopes in sent.values() for e in envelopes]
    height = verify_cluster(cluster, acked)
    blocks = asyncio.run(chain_of(cluster, leader, height))
    leader_certificate = material.load_member(cluster.crypto, "OrdererMSP", leader, ORGS).identity.certificate
    for block in blocks[1:]:
        metadata = raft_pb2.RaftBlockMetadata.FromString(block.metadata.consenter_metadata)
        assert metadata.leader == leader and metadata.raft_index > 0
        assert [s.signer.certificate for s in block.metadata.signatures] == [leader_certificate]
    order = [support.tx_id_of(e) for block in blocks[1:] for e in block.data.envelopes]
    for name, envelopes in sent.items():
        ids = [support.tx_id_of(e.SerializeToString()) for e in envelopes]
        assert [tx for tx in order if tx in set(ids)] == ids, f"envelopes sent to {name} kept their order"


async def _step(cluster: RaftCluster, target: str, as_member: tuple[str, str],
                messages: list[bytes]) -> grpc.aio.AioRpcError | None:
    tls = material.load_member(cluster.crypto, as_member[0], as_member[1], ORGS).tls
    async with grpc.aio.secure_channel(cluster.address(target), grpcutil.channel_credentials(tls)) as channel:
        step = channel.stream_unary("/gridledger.v1.Cluster/Step", request_serializer=lambda m: m,
                                    response_deserializer=orderer_pb2.ClusterAck.FromString)
        try:
            await step(iter(messages), timeout=10)
        except grpc.aio.AioRpcError as exc:
            return exc
    return None


def _message(channel_id: str = support.CHANNEL, sender: str = "orderer1", kind: str = "gridledger.v1.RaftVoteResponse",
             payload: bytes = b"") -> bytes:
    return orderer_pb2.ClusterMessage(channel_id=channel_id, sender_id=sender, kind=kind,
                                      payload=payload).SerializeToString()


def test_the_cluster_service_admits_only_consenters_and_refuses_bad_messages(cluster: RaftCluster) -> None:
    term = int(cluster.metrics("orderer0")["gridledger_raft_term"])
    stale = raft_pb2.RaftVoteResponse(term=0, granted=False).SerializeToString()
    cases = [
        (("Org1MSP", "user1"), [_message()], grpc.StatusCode.PERMISSION_DENIED, "only the consenters"),
        (("Org1MSP", "peer0-org1"), [_message()], grpc.StatusCode.PERMISSION_DENIED, "only the consenters"),
        (("OrdererMSP", "orderer1"), [_message(sender="orderer2")], grpc.StatusCode.PERMISSION_DENIED,
         "does not match the TLS identity of consenter 'orderer1'"),
        (("OrdererMSP", "orderer1"), [b"\xff\xfe garbage"], grpc.StatusCode.INVALID_ARGUMENT,
         "not a valid ClusterMessage"),
        (("OrdererMSP", "orderer1"), [_message(channel_id="elsewhere")], grpc.StatusCode.NOT_FOUND,
         "channel 'elsewhere' is not served"),
        (("OrdererMSP", "orderer1"), [_message(kind="gridledger.v1.Bogus")], grpc.StatusCode.INVALID_ARGUMENT,
         "unknown cluster message kind"),
        (("OrdererMSP", "orderer1"), [_message(kind="gridledger.v1.RaftAppendEntries", payload=b"\x08")],
         grpc.StatusCode.INVALID_ARGUMENT, "not a valid gridledger.v1.RaftAppendEntries"),
    ]
    for member, messages, code, detail in cases:
        error = asyncio.run(_step(cluster, "orderer0", member, messages))
        assert error is not None and error.code() == code, (member, error)
        assert detail in (error.details() or ""), error.details()
    # A well-formed message from a consenter (a stale vote answer, which changes nothing) is accepted.
    assert asyncio.run(_step(cluster, "orderer0", ("OrdererMSP", "orderer1"), [_message(payload=stale)])) is None
    assert int(cluster.metrics("orderer0")["gridledger_raft_term"]) == term
    user = cluster.identity()
    envelope = support.make_envelope(user, b"still ordering")

    async def still_ordering() -> None:
        async with grpc.aio.secure_channel(cluster.address("orderer0"), cluster_tls(cluster)) as channel:
            [response] = await support.broadcast(channel, [[envelope]])
            assert response.results[0].status == orderer_pb2.SUCCESS

    asyncio.run(still_ordering())


def test_metrics_name_the_leader_and_count_proposals(cluster: RaftCluster) -> None:
    leader = cluster.wait_leader()
    samples = {name: cluster.metrics(name) for name in cluster.names}
    terms = {s["gridledger_raft_term"] for s in samples.values()}
    assert len(terms) == 1 and terms.pop() >= 1
    for name, metrics in samples.items():
        assert metrics[f'gridledger_raft_leader{{consenter="{leader}"}}'] == 1
        assert sum(v for k, v in metrics.items() if k.startswith("gridledger_raft_leader{")) == 1
        assert metrics["gridledger_raft_is_leader"] == (1 if name == leader else 0)
        assert metrics["gridledger_raft_leader_changes_total"] >= 1
        assert metrics["gridledger_raft_commit_index"] >= metrics["gridledger_raft_applied_index"] > 0
    assert samples[leader]["gridledger_raft_proposal_duration_seconds_count"] >= 1
    assert samples[leader]["gridledger_raft_proposal_duration_seconds_sum"] > 0
    assert samples[leader]["gridledger_orderer_blocks_total"] >= 1


def test_a_single_orderer_raft_channel_orders(dev_crypto: Path, tmp_path: Path, spawn) -> None:
    genesis = support.make_genesis(dev_crypto, "raft")
    process = spawn(support.write_node_config(tmp_path, dev_crypto, genesis), tmp_path / "orderer.log")
    process.start()
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    envelopes = [support.make_envelope(user, b"alone %d" % i) for i in range(25)]

    async def run() -> list:
        async with support.channel_to(process, support.tls(dev_crypto)) as channel:
            responses = await support.broadcast(channel, [envelopes[:12], envelopes[12:]])
            assert all(r.status == orderer_pb2.SUCCESS for response in responses for r in response.results)
            return await support.blocks_until(channel, user, {support.tx_id_of(e.SerializeToString())
                                                              for e in envelopes})

    blocks = asyncio.run(run())
    seen = Counter(support.tx_id_of(e) for block in blocks[1:] for e in block.data.envelopes)
    assert all(seen[support.tx_id_of(e.SerializeToString())] == 1 for e in envelopes)
    assert process.stop() == 0, process.log_text()
