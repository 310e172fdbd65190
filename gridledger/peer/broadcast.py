"""How the gateway hands envelopes to the ordering service: batched streams, one per orderer it talks to.

- Crash-fault ordering (solo, raft): one orderer at a time, failing over around the ring when a stream breaks or
  the orderer answers SERVICE_UNAVAILABLE (a raft follower forwards to its leader, so any orderer will do). Under
  raft the gateway sends to the leader that proposed the newest block (its id is in the block's signed consenter
  metadata): a follower would only validate the envelopes and forward them, a hop that cost both orderers CPU and
  the transaction a round trip (docs/performance.md). An orderer the gateway had to fail over from is not
  preferred again for LEADER_HOLD_OFF_S, so a leader this peer cannot reach does not pull it back every block.
- BFT: every envelope goes to every orderer, so a censoring leader cannot drop it (docs/bft.md), and the answer
  is SUCCESS once f+1 orderers said so: at least one of them is honest, so the envelope is really in a committed
  block. A refusal (bad request, forbidden) likewise counts only from f+1 orderers.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Protocol

from google.protobuf.message import DecodeError

from gridledger.common.batching import BatchingStream, StreamUnavailable
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.nodeconfig import Endpoint
from gridledger.v1 import block_pb2, orderer_pb2, orderer_pb2_grpc, raft_pb2, transaction_pb2

LEADER_HOLD_OFF_S = 5.0


class Broadcaster(Protocol):
    async def broadcast(self, envelope: transaction_pb2.Envelope) -> orderer_pb2.BroadcastResult:
        ...

    async def close(self) -> None:
        ...


class OrdererLink:
    """A batched Broadcast stream to one orderer, opened on first use and again after it fails."""

    def __init__(self, endpoint: Endpoint, tls: TlsMaterial) -> None:
        self.endpoint = endpoint
        self._tls = tls
        self._channel = None
        self._stream: BatchingStream | None = None

    async def call(self, envelope: transaction_pb2.Envelope) -> orderer_pb2.BroadcastResult:
        """The orderer's answer; a broken stream is answered SERVICE_UNAVAILABLE and reopened next time."""
        if self._stream is None:
            self._channel = aio_channel(self.endpoint.address, self._tls)
            stub = orderer_pb2_grpc.AtomicBroadcastStub(self._channel)
            self._stream = BatchingStream(stub.Broadcast, lambda items: orderer_pb2.EnvelopeBatch(envelopes=items),
                                          lambda reply: reply.results)
        stream = self._stream
        try:
            return await stream.call(envelope)
        except StreamUnavailable as exc:
            if self._stream is stream:  # concurrent callers saw the same failure: reset once
                await self.close()
            return orderer_pb2.BroadcastResult(status=orderer_pb2.SERVICE_UNAVAILABLE,
                                               info=f"{self.endpoint.name}: {exc}")

    async def close(self) -> None:
        stream, channel, self._stream, self._channel = self._stream, self._channel, None, None
        if stream is not None:
            await stream.close()
        if channel is not None:
            await channel.close()


class FailoverBroadcaster:
    """Crash-fault ordering: one orderer at a time, the next one when it is unavailable."""

    def __init__(self, orderers: list[Endpoint], tls: TlsMaterial) -> None:
        if not orderers:
            raise ValueError("a gateway needs at least one orderer endpoint")
        self._links = [OrdererLink(endpoint, tls) for endpoint in orderers]
        self._current = 0
        self._failed_at: dict[int, float] = {}  # link index -> loop time the gateway last failed over from it

    async def broadcast(self, envelope: transaction_pb2.Envelope) -> orderer_pb2.BroadcastResult:
        """Send to one orderer; on an unavailable stream or orderer try the next, once around the ring."""
        result = orderer_pb2.BroadcastResult(status=orderer_pb2.SERVICE_UNAVAILABLE, info="no orderer reachable")
        for _ in range(len(self._links)):
            position = self._current
            result = await self._links[position % len(self._links)].call(envelope)
            if result.status != orderer_pb2.SERVICE_UNAVAILABLE:
                return result
            if self._current == position:  # move on once per failure, not once per concurrent caller
                self._failed_at[position % len(self._links)] = asyncio.get_running_loop().time()
                self._current += 1
        return result

    def prefer(self, name: str) -> None:
        """Send to orderer `name` from now on, unless it is unknown or the gateway failed over from it lately."""
        for index, link in enumerate(self._links):
            if link.endpoint.name == name:
                failed_at = self._failed_at.get(index)
                if failed_at is None or asyncio.get_running_loop().time() - failed_at >= LEADER_HOLD_OFF_S:
                    self._current = index
                return

    async def close(self) -> None:
        for link in self._links:
            await link.close()


class QuorumBroadcaster:
    """BFT ordering: every orderer gets the envelope; `needed` (f+1) equal answers decide."""

    def __init__(self, orderers: list[Endpoint], tls: TlsMaterial, needed: int) -> None:
        if len(orderers) < needed:
            raise ValueError(f"a BFT gateway needs at least {needed} orderer endpoints, got {len(orderers)}")
        self._links = [OrdererLink(endpoint, tls) for endpoint in orderers]
        self._needed = needed

    async def broadcast(self, envelope: transaction_pb2.Envelope) -> orderer_pb2.BroadcastResult:
        pending = {asyncio.ensure_future(link.call(envelope)) for link in self._links}
        statuses: Counter[int] = Counter()
        last: dict[int, orderer_pb2.BroadcastResult] = {}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    result = task.result()
                    statuses[result.status] += 1
                    last[result.status] = result
                    if result.status != orderer_pb2.SERVICE_UNAVAILABLE and statuses[result.status] >= self._needed:
                        return result
        finally:
            for task in pending:  # the others still get the envelope: their streams carry it on
                task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)
        refusals = [s for s in statuses if s not in (orderer_pb2.SUCCESS, orderer_pb2.SERVICE_UNAVAILABLE)]
        status = max(refusals, key=lambda s: statuses[s]) if refusals else orderer_pb2.SERVICE_UNAVAILABLE
        answer = last.get(status) or orderer_pb2.BroadcastResult(status=status)
        summary = ", ".join(f"{orderer_pb2.BroadcastStatus.Name(s)} x{n}" for s, n in sorted(statuses.items()))
        return orderer_pb2.BroadcastResult(status=status, info=f"fewer than {self._needed} orderers agreed "
                                           f"({summary}): {answer.info}")

    async def close(self) -> None:
        for link in self._links:
            await link.close()


def raft_leader(block: block_pb2.Block) -> str:
    """The consenter id of the raft leader that proposed `block`; empty if its metadata does not say."""
    try:
        return raft_pb2.RaftBlockMetadata.FromString(block.metadata.consenter_metadata).leader
    except DecodeError:
        return ""


def broadcaster_for(consensus_type: str, consenters: int, orderers: list[Endpoint],
                    tls: TlsMaterial) -> Broadcaster:
    if consensus_type == "bft":
        return QuorumBroadcaster(orderers, tls, needed=(consenters - 1) // 3 + 1)
    return FailoverBroadcaster(orderers, tls)
