"""Fuzzing the gRPC handlers of running nodes: mutated valid requests (tests/fuzz/mutation.py over seeds built by
tests/fuzz/world.py with the network's own crypto material) sent as raw bytes over mutual TLS to a real peer and a
real orderer, each a separate process.

Every answer must be a gRPC status the handler chose: INTERNAL or UNKNOWN (what grpcio answers when a handler
raises) is a crash, in the call's status or in a Transact reply's in-band error; a call the node does not answer
within its deadline is a hang, except a commit status request (CommitStatus, or inside a Transact batch), which
waits for the transaction by design until the client's deadline. Streams are read for a few messages and then
cancelled, so a valid Deliver does not wait for new blocks. The pytest slice is tests/fuzz/test_grpc_handlers.py;
the long run is `scripts/fuzz.py grpc`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.protobuf.message import DecodeError, Message

from gridledger.common import material
from gridledger.common.grpcutil import sync_channel
from gridledger.orderer.consensus.transport import kind_of
from gridledger.v1 import orderer_pb2, peer_pb2, raft_pb2, transaction_pb2
from tests.fuzz.mutation import Mutator
from tests.fuzz.world import World

CRASH_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
CRASH_NUMBERS = {code.value[0] for code in CRASH_CODES}
DEADLINE_S = 10.0
COMMIT_STATUS_DEADLINE_S = 0.1  # CommitStatus of an unknown tx waits for it: the client's deadline ends the wait
TRANSACT_WAIT_DEADLINE_S = 1.0  # a Transact batch with such a request: time for its other replies to arrive
STREAM_READ = 4  # messages read from a server stream before the client cancels it


@dataclass(frozen=True)
class Method:
    service: str
    name: str
    request: type[Message]
    client_streaming: bool
    server_streaming: bool
    node: str  # "peer" or "orderer"
    seeds: list[bytes]

    @property
    def path(self) -> str:
        return f"/gridledger.v1.{self.service}/{self.name}"


@dataclass
class Tally:
    """What one service answered: inputs sent, statuses seen, crash and hang inputs kept for the report."""

    inputs: int = 0
    statuses: Counter = field(default_factory=Counter)
    crashes: list[tuple[str, bytes, str]] = field(default_factory=list)
    hangs: list[tuple[str, bytes]] = field(default_factory=list)


def _admin_envelope(world: World, admin, request: peer_pb2.AdminRequest) -> transaction_pb2.Envelope:
    return world.signed_envelope(admin, transaction_pb2.HEADER_TYPE_UNSPECIFIED, request.SerializeToString())


def methods(world: World, crypto: Path, committed_tx_id: str) -> list[Method]:
    """Every method of every peer and orderer service, with valid requests as seeds."""
    admin = material.load_admin(crypto, "Org1MSP")
    query = world.signed_proposal("get", ("key",))
    put = world.signed_proposal()
    envelope = world.endorsed_envelope()
    seek = world.seek_envelope(0, 1).SerializeToString()
    info = _admin_envelope(world, admin, peer_pb2.AdminRequest(
        channel_info=peer_pb2.ChannelInfoRequest(channel_id=world.channel))).SerializeToString()
    installed = _admin_envelope(world, admin, peer_pb2.AdminRequest(
        query_installed=peer_pb2.QueryInstalledRequest())).SerializeToString()
    gateway_batch = peer_pb2.GatewayRequestBatch(requests=[
        peer_pb2.GatewayRequest(request_id=1, evaluate=peer_pb2.EvaluateRequest(proposal=query)),
        peer_pb2.GatewayRequest(request_id=2, commit_status=peer_pb2.CommitStatusRequest(
            channel_id=world.channel, tx_id=committed_tx_id))])
    return [
        Method("Endorser", "ProcessProposal", transaction_pb2.SignedProposal, False, False, "peer",
               [query.SerializeToString(), put.SerializeToString()]),
        Method("Endorser", "ProcessProposals", peer_pb2.ProposalBatch, True, True, "peer",
               [peer_pb2.ProposalBatch(proposals=[query, put]).SerializeToString()]),
        Method("Gateway", "Evaluate", peer_pb2.EvaluateRequest, False, False, "peer",
               [peer_pb2.EvaluateRequest(proposal=query).SerializeToString()]),
        Method("Gateway", "Endorse", peer_pb2.EndorseRequest, False, False, "peer",
               [peer_pb2.EndorseRequest(proposal=put).SerializeToString(),
                peer_pb2.EndorseRequest(proposal=put, endorsing_orgs=["Org1MSP"]).SerializeToString()]),
        Method("Gateway", "Submit", peer_pb2.SubmitRequest, False, False, "peer",
               [peer_pb2.SubmitRequest(envelope=envelope).SerializeToString()]),
        Method("Gateway", "CommitStatus", peer_pb2.CommitStatusRequest, False, False, "peer",
               [peer_pb2.CommitStatusRequest(channel_id=world.channel, tx_id=committed_tx_id).SerializeToString()]),
        Method("Gateway", "Transact", peer_pb2.GatewayRequestBatch, True, True, "peer",
               [gateway_batch.SerializeToString()]),
        Method("PeerDeliver", "Deliver", transaction_pb2.Envelope, False, True, "peer", [seek]),
        Method("PeerDeliver", "DeliverFiltered", transaction_pb2.Envelope, False, True, "peer", [seek]),
        Method("Admin", "Execute", transaction_pb2.Envelope, False, False, "peer", [info, installed]),
        Method("AtomicBroadcast", "Broadcast", orderer_pb2.EnvelopeBatch, True, True, "orderer",
               [orderer_pb2.EnvelopeBatch(envelopes=[envelope]).SerializeToString()]),
        Method("AtomicBroadcast", "Deliver", transaction_pb2.Envelope, False, True, "orderer", [seek]),
    ]


CONSENTER = "orderer1"  # whose TLS identity the Cluster.Step inputs travel under, to orderer0


def cluster_method(world: World) -> Method:
    """Cluster.Step as the raft consenter orderer1 speaks to orderer0: admitted by its TLS certificate, so the
    inputs reach the payload checks and the raft state machine (docs/design.md, "Raft")."""
    payloads = [raft_pb2.RaftRequestVote(term=1, last_log_index=0, last_log_term=0, pre_vote=True),
                raft_pb2.RaftAppendResponse(term=0, success=False, rejected_index=1, hint_index=0),
                raft_pb2.RaftVoteResponse(term=0, granted=False, pre_vote=True)]
    seeds = [orderer_pb2.ClusterMessage(channel_id=world.channel, sender_id=CONSENTER, kind=kind_of(payload),
                                        payload=payload.SerializeToString()).SerializeToString()
             for payload in payloads]
    return Method("Cluster", "Step", orderer_pb2.ClusterMessage, True, False, "cluster", seeds)


def _raw(data: bytes) -> bytes:
    return data


class GrpcFuzzer:
    """Sends inputs to one peer and one orderer over mutual TLS as the org's client user (and, for Cluster.Step,
    as a consenter)."""

    def __init__(self, crypto: Path, trusted_orgs: list[str], peer_address: str, orderer_address: str) -> None:
        tls = material.load_member(crypto, "Org1MSP", "user1", trusted_orgs).tls
        self._crypto, self._trusted_orgs, self._orderer_address = crypto, trusted_orgs, orderer_address
        self._channels = {"peer": sync_channel(peer_address, tls), "orderer": sync_channel(orderer_address, tls)}

    def _channel(self, node: str) -> grpc.Channel:
        """The channel to `node`; the consenter's is opened on first use (only raft networks have orderer1)."""
        if node not in self._channels:
            consenter = material.load_member(self._crypto, "OrdererMSP", CONSENTER, self._trusted_orgs).tls
            self._channels[node] = sync_channel(self._orderer_address, consenter)
        return self._channels[node]

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()

    def send(self, method: Method, data: bytes) -> tuple[grpc.StatusCode, list[bytes]]:
        """The call's final status and the first messages it answered."""
        channel = self._channel(method.node)
        kinds = {(False, False): channel.unary_unary, (False, True): channel.unary_stream,
                 (True, False): channel.stream_unary, (True, True): channel.stream_stream}
        stub = kinds[(method.client_streaming, method.server_streaming)](
            method.path, request_serializer=_raw, response_deserializer=_raw)
        request = iter([data]) if method.client_streaming else data
        deadline = DEADLINE_S
        if waits_for_commit(method, data):
            deadline = COMMIT_STATUS_DEADLINE_S if method.name == "CommitStatus" else TRANSACT_WAIT_DEADLINE_S
        try:
            if not method.server_streaming:
                return grpc.StatusCode.OK, [stub(request, timeout=deadline)]
            call = stub(request, timeout=deadline)
            answers = []
            for answer in call:
                answers.append(answer)
                if len(answers) == STREAM_READ:
                    call.cancel()
                    break
            return grpc.StatusCode.OK, answers
        except grpc.RpcError as exc:
            return exc.code(), []

    def fuzz(self, method: Method, inputs: int, rng: random.Random, tally: Tally) -> None:
        mutator = Mutator(rng, method.request, method.seeds, max_size=65536)
        for number in range(inputs):
            data = method.seeds[number % len(method.seeds)] if number < len(method.seeds) else mutator.next_input()
            code, answers = self.send(method, data)
            tally.inputs += 1
            tally.statuses[code.name] += 1
            if code in CRASH_CODES:
                tally.crashes.append((method.path, data, code.name))
            elif code == grpc.StatusCode.DEADLINE_EXCEEDED and not waits_for_commit(method, data):
                tally.hangs.append((method.path, data))
            elif method.name == "Transact":
                for reply in _transact_errors(answers):
                    tally.crashes.append((method.path, data, f"in-band {reply}"))


def waits_for_commit(method: Method, data: bytes) -> bool:
    """Whether the request may wait for a commit (of a transaction that never comes) until its deadline."""
    if method.name == "CommitStatus":
        return True
    if method.name != "Transact":
        return False
    try:
        batch = peer_pb2.GatewayRequestBatch.FromString(data)
    except (DecodeError, ValueError):
        return False
    return any(request.WhichOneof("kind") == "commit_status" for request in batch.requests)


def _transact_errors(answers: list[bytes]) -> Iterator[str]:
    for answer in answers:
        for reply in peer_pb2.GatewayReplyBatch.FromString(answer).replies:
            if reply.WhichOneof("kind") == "error" and reply.error.grpc_code in CRASH_NUMBERS:
                yield f"{reply.error.grpc_code}: {reply.error.message}"


def run(fuzzer: GrpcFuzzer, selected: list[Method], inputs_per_service: int, seed: int) -> dict[str, Tally]:
    """Spread `inputs_per_service` over each service's methods, each method with its own seeded mutator."""
    tallies: dict[str, Tally] = {}
    per_service = Counter(method.service for method in selected)
    for method in selected:
        tally = tallies.setdefault(method.service, Tally())
        share = -(-inputs_per_service // per_service[method.service])
        fuzzer.fuzz(method, share, random.Random(f"{seed}:{method.path}"), tally)
    return tallies
