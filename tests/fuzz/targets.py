"""The decoder fuzz targets: every place a node parses bytes it did not make, each called the way the node calls
it, with the errors that path documents. A target passes an input when the call returns or raises one of its
`refusals`; anything else (an unexpected exception type) is a crash, and an input that does not return is a hang.

The table of targets, what each one stands for and its refusals is in docs/reliability.md ("Fuzzing"); the
target names here are the ones scripts/fuzz.py and the pytest slice take.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message

from gridledger.chaincode.codec import ArgumentError, decoder_for
from gridledger.common import envelope as envelopes
from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerificationError, BlockVerifier
from gridledger.common.channel import ChannelContext, ConfigError, config_from_block
from gridledger.common.envelope import EnvelopeError
from gridledger.orderer.consensus.bft import messages as bft_messages
from gridledger.orderer.consensus.raft import messages as raft_messages
from gridledger.orderer.consensus.raft.core import CoreConfig, RaftCore
from gridledger.orderer.consensus.transport import BadPayload, kind_of
from gridledger.orderer.validation import EnvelopeValidator
from gridledger.peer.chaincode.framing import ChannelClosed, HostChannel, frame
from gridledger.peer.endorser import CREATOR_ROLES, ProposalError, open_signed_proposal
from gridledger.peer.validation.txcheck import TxRejected, check_envelope
from gridledger.v1 import block_pb2, chaincode_pb2, orderer_pb2, raft_pb2, transaction_pb2
from tests.fuzz.world import World
from tests.orderer.bft.sim import Faults, Simulation


@dataclass(frozen=True)
class Target:
    name: str
    message: type[Message] | None  # what the bytes decode to, for the structural mutator; None: not protobuf
    seeds: list[bytes]
    call: Callable[[bytes], None]
    refusals: tuple[type[BaseException], ...]
    seeds_pass: bool = True  # every seed goes through without a refusal (False: the path always ends in one)

    def one_input(self, data: bytes) -> None:
        """Run one input; a refusal is a pass, any other exception propagates as the crash it is."""
        with contextlib.suppress(*self.refusals):
            self.call(data)


def _envelope(world: World) -> Target:
    def call(data: bytes) -> None:
        opened = envelopes.open_stored(data)
        envelopes.check_tx_id(opened.header)
        envelopes.authenticate(world.context, opened)

    return Target("envelope", transaction_pb2.Envelope, [world.endorsed_envelope().SerializeToString()], call,
                  (EnvelopeError,))


def _broadcast(world: World) -> Target:
    validator = EnvelopeValidator(world.context)

    def call(data: bytes) -> None:
        validator.check(transaction_pb2.Envelope.FromString(data), len(data))

    return Target("broadcast", transaction_pb2.Envelope, [world.endorsed_envelope().SerializeToString()], call,
                  (DecodeError,))


def _proposal(world: World) -> Target:
    def call(data: bytes) -> None:
        opened = open_signed_proposal(transaction_pb2.SignedProposal.FromString(data))
        envelopes.authenticate_proposal(world.context, opened, CREATOR_ROLES)
        envelopes.check_tx_id(opened.header)

    seeds = [world.signed_proposal().SerializeToString(), world.signed_proposal("get", ("key",)).SerializeToString()]
    return Target("proposal", transaction_pb2.SignedProposal, seeds, call, (DecodeError, ProposalError, EnvelopeError))


def _seek(world: World) -> Target:
    def call(data: bytes) -> None:
        envelopes.open_seek(transaction_pb2.Envelope.FromString(data), world.context, "fuzzer")

    seeds = [world.seek_envelope().SerializeToString(), world.seek_envelope(5, 0).SerializeToString()]
    return Target("seek", transaction_pb2.Envelope, seeds, call, (DecodeError, EnvelopeError))


def _txcheck(world: World) -> Target:
    return Target("txcheck", transaction_pb2.Envelope, [world.endorsed_envelope().SerializeToString()],
                  lambda data: check_envelope(data, world.context), (TxRejected,))


def _block(world: World) -> Target:
    verifier = BlockVerifier(world.context)
    previous = world.genesis.header

    def call(data: bytes) -> None:
        block = block_pb2.Block.FromString(data)
        verifier.verify(block, 1, hashing.header_hash(previous))

    return Target("block", block_pb2.Block, [world.next_block().SerializeToString()], call,
                  (DecodeError, BlockVerificationError))


def _config(world: World) -> Target:
    def call(data: bytes) -> None:
        ChannelContext.from_config(config_from_block(block_pb2.Block.FromString(data)))

    return Target("config", block_pb2.Block, [world.genesis.SerializeToString()], call, (DecodeError, ConfigError))


CODEC_TYPES = (str, bytes, int, float, bool, dict, list)


def _codec(world: World) -> Target:
    decoders = [decoder_for(annotation) for annotation in CODEC_TYPES]

    def call(data: bytes) -> None:
        for decode in decoders:
            with contextlib.suppress(ArgumentError):
                decode(data)

    seeds = [b"hello", b"42", b"-7", b"1.5e3", b"true", b'{"slot": 3, "kwh": [1, 2.5]}', b'["a", null]', b""]
    return Target("codec", None, seeds, call, (ArgumentError,))


def _worker_frames(world: World) -> Target:
    def call(data: bytes) -> None:
        read_fd, write_fd = os.pipe()
        sink = os.open(os.devnull, os.O_WRONLY)
        try:
            os.write(write_fd, data[:60000])  # below the pipe's buffer: the write never waits
            os.close(write_fd)
            write_fd = -1
            channel = HostChannel(read_fd, sink)
            while True:
                chaincode_pb2.WorkerToHost.FromString(channel.receive(time.monotonic() + 5))
        finally:
            for fd in (read_fd, write_fd, sink):
                if fd >= 0:
                    os.close(fd)

    messages = [
        chaincode_pb2.WorkerToHost(ready=chaincode_pb2.WorkerReady()),
        chaincode_pb2.WorkerToHost(get_states=chaincode_pb2.WorkerGetStates(keys=["a", "b"])),
        chaincode_pb2.WorkerToHost(range_open=chaincode_pb2.WorkerRangeOpen(start_key="a", end_key="z")),
        chaincode_pb2.WorkerToHost(done=chaincode_pb2.WorkerDone(
            response=transaction_pb2.Response(status=200, payload=b"ok"))),
    ]
    stream = b"".join(frame(m.SerializeToString()) for m in messages)
    return Target("worker_frames", None, [stream, frame(messages[1].SerializeToString())], call,
                  (ChannelClosed, DecodeError), seeds_pass=False)  # reading on ends at the closed pipe


RAFT_MEMBERS = ["o0", "o1", "o2"]
RAFT_CONFIG = CoreConfig(election_tick=10, heartbeat_tick=1)


def _cluster_message(kind_message: Message, sender: str) -> bytes:
    return orderer_pb2.ClusterMessage(channel_id="energy", sender_id=sender, kind=kind_of(kind_message),
                                      payload=kind_message.SerializeToString()).SerializeToString()


def _raft_cluster(world: World) -> Target:
    def call(data: bytes) -> None:
        message = orderer_pb2.ClusterMessage.FromString(data)
        payload = raft_messages.decode(message.kind, message.payload)
        if message.sender_id not in RAFT_MEMBERS or not isinstance(payload, raft_messages.Message):
            return  # the transport admits only consenters; forwards go to the consenter, not the core
        core = RaftCore("o1", RAFT_MEMBERS, RAFT_CONFIG, random.Random(0))
        core.step(message.sender_id, payload)
        if core.has_ready():
            core.ready()

    block = world.next_block().SerializeToString()
    payloads = [
        raft_pb2.RaftRequestVote(term=2, last_log_index=1, last_log_term=1),
        raft_pb2.RaftRequestVote(term=2, last_log_index=1, last_log_term=1, pre_vote=True),
        raft_pb2.RaftVoteResponse(term=1, granted=True),
        raft_pb2.RaftAppendEntries(term=2, prev_log_index=0, prev_log_term=0, leader_commit=2, entries=[
            raft_pb2.RaftEntry(index=1, term=2, type=raft_pb2.RAFT_ENTRY_NOOP),
            raft_pb2.RaftEntry(index=2, term=2, type=raft_pb2.RAFT_ENTRY_BLOCK, data=block)]),
        raft_pb2.RaftAppendResponse(term=0, success=True, match_index=1),
        raft_pb2.RaftInstallSnapshot(term=3, snapshot=raft_pb2.RaftSnapshot(
            index=5, term=2, data=raft_pb2.RaftSnapshotData(height=6, tip_hash=b"\x11" * 32).SerializeToString())),
        raft_pb2.RaftForward(request_id=7, envelopes=[world.endorsed_envelope().SerializeToString()]),
        raft_pb2.RaftForwardResult(request_id=7, status=orderer_pb2.SUCCESS),
    ]
    return Target("raft_cluster", orderer_pb2.ClusterMessage, [_cluster_message(p, "o0") for p in payloads], call,
                  (DecodeError, BadPayload))


def _bft_seeds() -> tuple[list[bytes], Callable[[], Simulation]]:
    """Messages four simulated BFT replicas exchange while ordering a few requests (signed with the simulation's
    keys, so they pass the core's signature checks), and a way to make a fresh simulation to deliver into."""
    calm = Faults(loss=0, duplicate=0, max_delay=1, crash=0, restart=0, partition=0, heal=0)

    def fresh() -> Simulation:
        return Simulation(seed=1, faults=calm)

    simulation = fresh()
    simulation.submit(3)
    seen: dict[bytes, None] = {}
    for _ in range(40):
        for _, sender, _, data, kind in simulation.inflight:
            seen.setdefault(orderer_pb2.ClusterMessage(channel_id="energy", sender_id=sender,
                                                       kind=kind.DESCRIPTOR.full_name,
                                                       payload=data).SerializeToString())
        simulation.step(chaos=False)
    return list(seen)[:64], fresh


def _bft_cluster(world: World) -> Target:
    seeds, fresh = _bft_seeds()

    def call(data: bytes) -> None:
        message = orderer_pb2.ClusterMessage.FromString(data)
        payload = bft_messages.decode(message.kind, message.payload)
        simulation = fresh()
        if message.sender_id not in simulation.ids or message.sender_id == "o1":
            return  # the transport admits only the other consenters
        core = simulation.replicas["o1"].core
        core.receive(message.sender_id, payload)
        if core.has_ready():
            core.ready()

    return Target("bft_cluster", orderer_pb2.ClusterMessage, seeds, call, (DecodeError, BadPayload))


BUILDERS: dict[str, Callable[[World], Target]] = {
    "envelope": _envelope, "broadcast": _broadcast, "proposal": _proposal, "seek": _seek, "txcheck": _txcheck,
    "block": _block, "config": _config, "codec": _codec, "worker_frames": _worker_frames,
    "raft_cluster": _raft_cluster, "bft_cluster": _bft_cluster,
}


def build(name: str, world: World) -> Target:
    return BUILDERS[name](world)
