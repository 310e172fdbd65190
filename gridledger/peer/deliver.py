"""Blocks in and out of a peer: the PeerDeliver service streams committed blocks (or per-transaction status) to
readers, and the BlockPuller fetches new blocks from the ordering service and hands them to the committer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import grpc

from gridledger.common.blockverify import BlockVerificationError
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import DELIVER_STATUS, EnvelopeError, open_seek
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.msp import Member, SigningIdentity
from gridledger.common.nodeconfig import Endpoint
from gridledger.common.policy import Principal
from gridledger.common.seek import seek_envelope
from gridledger.peer.committer import CommitNotifier, filtered_block
from gridledger.v1 import block_pb2, orderer_pb2_grpc, peer_pb2, peer_pb2_grpc, transaction_pb2

log = logging.getLogger(__name__)


def _refusal(status: str, reason: str) -> peer_pb2.DeliverResponse:
    log.info("deliver refused: %s", reason)
    return peer_pb2.DeliverResponse(status=status)


class PeerDeliverService(peer_pb2_grpc.PeerDeliverServicer):
    def __init__(self, context: ChannelContext, ledger, notifier: CommitNotifier) -> None:
        self._context = context
        self._ledger = ledger
        self._notifier = notifier

    def _may_read(self, member: Member) -> bool:
        """Peers and orderers always; anyone else as the Readers policy says."""
        return member.role in ("peer", "orderer") or self._context.policies["Readers"].evaluate(
            [Principal(member.msp_id, member.role)])

    async def _stream(self, request: transaction_pb2.Envelope,
                      convert: Callable[[block_pb2.Block], peer_pb2.DeliverResponse]) -> AsyncIterator:
        try:
            info, member = open_seek(request, self._context, "peer")
        except EnvelopeError as exc:
            yield _refusal(DELIVER_STATUS[exc.fault], str(exc))
            return
        if not self._may_read(member):
            yield _refusal("FORBIDDEN", f"{member.name} ({member.msp_id}) may not read channel "
                                        f"{self._context.channel_id}")
            return
        number = self._ledger.height if info.newest else info.start
        while not info.stop or number < info.stop:
            block = self._ledger.get_block(number)
            if block is None:
                await self._notifier.wait_for_height_above(number)
                continue
            yield convert(block)
            number += 1
        yield peer_pb2.DeliverResponse(status="SUCCESS")

    async def Deliver(self, request, context):
        async for response in self._stream(request, lambda block: peer_pb2.DeliverResponse(block=block)):
            yield response

    async def DeliverFiltered(self, request, context):
        def convert(block: block_pb2.Block) -> peer_pb2.DeliverResponse:
            return peer_pb2.DeliverResponse(filtered_block=filtered_block(block))

        async for response in self._stream(request, convert):
            yield response


class BlockPuller:
    """Keeps the ledger up to date from the orderers: one Deliver stream at a time, failing over to the next
    orderer when a stream breaks or delivers a block that does not verify."""

    def __init__(self, channel_id: str, orderers: list[Endpoint], identity: SigningIdentity, tls: TlsMaterial,
                 ledger, commit_block: Callable[[block_pb2.Block], asyncio.Future]) -> None:
        self._channel_id = channel_id
        self._orderers = orderers
        self._identity = identity
        self._tls = tls
        self._ledger = ledger
        self._commit_block = commit_block
        self.connected_to: str | None = None

    async def run(self) -> None:
        attempt = 0
        while True:
            endpoint = self._orderers[attempt % len(self._orderers)]
            try:
                await self._pull_from(endpoint)
            except grpc.aio.AioRpcError as exc:
                log.warning("deliver from %s failed: %s", endpoint.name, exc.code().name)
            except BlockVerificationError as exc:
                log.error("block from %s rejected: %s", endpoint.name, exc)
            self.connected_to = None
            attempt += 1
            await asyncio.sleep(min(2.0, 0.1 * attempt))

    async def _pull_from(self, endpoint: Endpoint) -> None:
        async with aio_channel(endpoint.address, self._tls) as channel:
            stub = orderer_pb2_grpc.AtomicBroadcastStub(channel)
            request = seek_envelope(self._identity, self._channel_id, start=self._ledger.height)
            self.connected_to = endpoint.name
            async for response in stub.Deliver(request):
                if response.WhichOneof("kind") != "block":
                    log.warning("orderer %s ended deliver with status %s", endpoint.name, response.status)
                    return
                if response.block.header.number < self._ledger.height:
                    continue
                await self._commit_block(response.block)
