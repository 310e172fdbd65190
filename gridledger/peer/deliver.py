"""Blocks out of a peer: the PeerDeliver service streams committed blocks (or per-transaction status) to readers.
(Blocks in come from the ordering service through peer/puller.py.)
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import DELIVER_STATUS, EnvelopeError, open_seek
from gridledger.common.msp import Member
from gridledger.common.policy import Principal
from gridledger.peer.committer import CommitNotifier, filtered_block
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2

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
