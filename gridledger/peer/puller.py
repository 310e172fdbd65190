"""Keeps the ledger up to date from the ordering service: one Deliver stream at a time, and a watch on the others.

The puller follows one orderer. It moves to the next when the stream breaks or delivers a block that does not
verify (the committer checks the consenter signatures: 2f+1 under BFT), and, because a Byzantine orderer can also
simply stop sending (or a raft follower fall behind), when its source has sent nothing for STALL_S while another
orderer proves it holds the next block: it serves that block, and the block verifies. A single lying orderer
therefore costs a peer at most a few seconds, never a wrong block.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import grpc

from gridledger.common.blockverify import BlockVerificationError
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.msp import SigningIdentity
from gridledger.common.nodeconfig import Endpoint
from gridledger.common.seek import seek_envelope
from gridledger.v1 import block_pb2, orderer_pb2_grpc

log = logging.getLogger(__name__)

STALL_S = 2.0  # the source sent no block this long: ask the others whether they have the next one
PROBE_TIMEOUT_S = 1.0
SOURCE_GRACE_S = 0.5


class BlockPuller:
    def __init__(self, channel_id: str, orderers: list[Endpoint], identity: SigningIdentity, tls: TlsMaterial,
                 ledger, commit_block: Callable[[block_pb2.Block], asyncio.Future],
                 verify_signatures: Callable[[block_pb2.Block], None]) -> None:
        self._channel_id = channel_id
        self._orderers = orderers
        self._identity = identity
        self._tls = tls
        self._ledger = ledger
        self._commit_block = commit_block
        self._verify_signatures = verify_signatures
        self.connected_to: str | None = None
        self._committing: asyncio.Future | None = None
        self.switches = 0  # times the watch moved us off a source that lagged or withheld blocks

    async def run(self) -> None:
        attempt = 0
        chosen: Endpoint | None = None
        while True:
            source = chosen or self._orderers[attempt % len(self._orderers)]
            chosen = await self._follow(source)
            self.connected_to = None
            if chosen is not None:
                self.switches += 1
                log.warning("block source %s sent nothing for %.0fs while %s has block %d; switching",
                            source.name, STALL_S, chosen.name, self._ledger.height)
                continue
            attempt += 1
            await asyncio.sleep(min(2.0, 0.1 * attempt))

    async def _follow(self, source: Endpoint) -> Endpoint | None:
        """Pull from `source` until its stream ends (None) or the watch finds a better source (returned)."""
        pull = asyncio.create_task(self._pull_from(source))
        watch = asyncio.create_task(self._watch(source)) if len(self._orderers) > 1 else None
        try:
            done, _ = await asyncio.wait({pull, watch} - {None}, return_when=asyncio.FIRST_COMPLETED)
            if watch is not None and watch in done:
                return watch.result()
            try:
                pull.result()
            except grpc.aio.AioRpcError as exc:
                log.warning("deliver from %s failed: %s", source.name, exc.code().name)
            except BlockVerificationError as exc:
                log.error("block from %s rejected: %s", source.name, exc)
            return None
        finally:
            for task in (pull, watch):
                if task is not None and not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, grpc.aio.AioRpcError, BlockVerificationError):
                        await task
            if self._committing is not None:  # the next source starts after the block being committed
                with contextlib.suppress(Exception):
                    await self._committing

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
                # Shielded: a switch of source cancels this task, and a commit cut off halfway would leave the
                # block stored but its commit never announced to the clients waiting for it (_follow waits for it).
                self._committing = asyncio.ensure_future(self._commit_block(response.block))
                await asyncio.shield(self._committing)

    async def _watch(self, source: Endpoint) -> Endpoint:
        """Return an orderer that holds the next block once `source` has sent none for STALL_S."""
        while True:
            height = self._ledger.height
            await asyncio.sleep(STALL_S)
            if self._ledger.height > height:
                continue
            for other in self._orderers:
                if other is not source and await self._has_block(other, height):
                    # The probe waits for the block; on a quiet network it may simply just have been cut. Give
                    # the source a moment to send it too before calling it a laggard.
                    await asyncio.sleep(SOURCE_GRACE_S)
                    if self._ledger.height > height:
                        break
                    return other

    async def _has_block(self, endpoint: Endpoint, number: int) -> bool:
        """Whether `endpoint` serves block `number` with valid consenter signatures within PROBE_TIMEOUT_S."""
        try:
            async with aio_channel(endpoint.address, self._tls) as channel:
                request = seek_envelope(self._identity, self._channel_id, start=number, stop=number + 1)
                call = orderer_pb2_grpc.AtomicBroadcastStub(channel).Deliver(request)
                response = await asyncio.wait_for(call.read(), PROBE_TIMEOUT_S)
                call.cancel()
        except (grpc.aio.AioRpcError, TimeoutError):
            return False
        if response is grpc.aio.EOF or response.WhichOneof("kind") != "block":
            return False
        try:
            self._verify_signatures(response.block)
        except BlockVerificationError:
            return False
        return response.block.header.number == number
