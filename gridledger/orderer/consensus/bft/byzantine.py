"""Byzantine behaviour for tests: an honest core's output rewritten the way a faulty orderer would (docs/bft.md,
"Byzantine test modes"; orderer/faults.py says how a mode is chosen).

The core stays honest; these rewrites sit between it and the transport, so the same modes drive the seeded
simulation (tests/orderer/bft/sim.py) and real orderer processes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from gridledger.common import hashing
from gridledger.orderer.consensus.bft.core import EVERYONE, Message
from gridledger.orderer.consensus.bft.statements import proposal_statement
from gridledger.v1 import bft_pb2, block_pb2


class Misbehaviour:
    """Rewrites one replica's outgoing messages according to its fault mode."""

    def __init__(self, mode: str, node_id: str, members: list[str], channel: str,
                 sign: Callable[[bytes], bytes], rng: random.Random) -> None:
        self.mode = mode
        self._id = node_id
        self._others = [m for m in members if m != node_id]
        self._channel = channel
        self._sign = sign
        self._rng = rng
        self._sent: list[Message] = []

    def outgoing(self, to: str, message: Message) -> list[tuple[str, Message]]:
        mode = self.mode
        if mode == "mute" and isinstance(message, bft_pb2.BftProposal):
            return []
        if mode == "equivocate" and isinstance(message, bft_pb2.BftProposal):
            return self._equivocate(message)
        if mode == "bad-votes" and isinstance(message, bft_pb2.BftVote | bft_pb2.BftTimeout):
            bad = type(message)()
            bad.CopyFrom(message)
            bad.signature = bytes(b ^ 0xFF for b in message.signature)
            return [(to, bad)]
        if mode == "replay" and isinstance(message, bft_pb2.BftProposal | bft_pb2.BftVote):
            self._sent.append(message)
            out = [(to, message)]
            if len(self._sent) > 20 and self._rng.random() < 0.3:
                out.append((EVERYONE, self._rng.choice(self._sent[:-10])))  # stale: from an old view
            del self._sent[:-200]
            return out
        return [(to, message)]

    def _equivocate(self, proposal: bft_pb2.BftProposal) -> list[tuple[str, Message]]:
        """Half the replicas get the proposal, the others another block at the same height and view."""
        block = block_pb2.Block.FromString(proposal.block)
        envelopes = list(block.data.envelopes)
        if len(envelopes) < 2:
            return [(EVERYONE, proposal)]  # nothing to reorder: an honest proposal (fewer than half would follow)
        envelopes.reverse()
        del block.data.envelopes[:]
        block.data.envelopes.extend(envelopes)
        block.header.data_hash = hashing.data_hash(envelopes)
        twin = bft_pb2.BftProposal()
        twin.CopyFrom(proposal)
        twin.block = block.SerializeToString()
        twin.signature = self._sign(proposal_statement(self._channel, proposal.view, block.header.number,
                                                       hashing.header_hash(block.header)))
        half = len(self._others) // 2
        return [(i, proposal) for i in self._others[:half]] + [(i, twin) for i in self._others[half:]]
