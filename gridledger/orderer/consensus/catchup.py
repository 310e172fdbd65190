"""Fetching committed blocks from other orderers' Deliver, for a node whose raft log no longer holds them.

That happens after installing a snapshot (the snapshot names the chain's height and tip, not its blocks) or after
a restart that found the chain behind the snapshot. Blocks come from any consenter of the channel, the leader first;
each is verified like a peer verifies it (consenter signature, data hash, hash link to our tip) before it is
appended, so a wrong or corrupt source costs a retry elsewhere, never a bad block.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

import grpc

from gridledger.common import grpcutil, hashing, linkfaults
from gridledger.common.blockverify import BlockVerificationError, BlockVerifier
from gridledger.common.logs import log_event
from gridledger.common.msp import SigningIdentity
from gridledger.common.seek import seek_envelope
from gridledger.orderer.chain import Chain, ChainError
from gridledger.orderer.consensus.transport import CHANNEL_OPTIONS
from gridledger.v1 import block_pb2, config_pb2, orderer_pb2_grpc

logger = logging.getLogger("gridledger.orderer.consensus.catchup")

IDLE_TIMEOUT_S = 5.0  # a source that sends nothing for this long is given up for the next
RETRY_MAX_S = 1.0


class BlockFetcher:
    """Appends verified blocks to a chain until it reaches a height, from whichever consenter can serve them."""

    def __init__(self, channel_id: str, node_id: str, consenters: Mapping[str, config_pb2.Consenter],
                 identity: SigningIdentity, tls: grpcutil.TlsMaterial, verifier: BlockVerifier) -> None:
        self._channel_id = channel_id
        self._sources = {peer: f"{c.host}:{c.port}" for peer, c in consenters.items() if peer != node_id}
        self._identity = identity
        self._tls = tls
        self._verifier = verifier
        self.fetched = 0

    async def fetch(self, chain: Chain, height: int, preferred: Callable[[], str | None],
                    append: Callable[[block_pb2.Block], Awaitable[None]]) -> None:
        """Return once `chain` holds `height` blocks, each verified and passed to `append`; retries across sources
        (the one `preferred` names first) for as long as it takes."""
        attempt = 0
        while chain.height < height:
            leader = preferred()
            order = sorted(self._sources, key=lambda peer: peer != leader)
            if not order:
                raise ChainError(f"the chain must reach height {height} but there is no other orderer to fetch from")
            source = order[attempt % len(order)]
            before = chain.height
            try:
                await self._fetch_from(source, chain, height, append)
            except (grpc.aio.AioRpcError, TimeoutError, BlockVerificationError) as exc:
                reason = exc.code().name if isinstance(exc, grpc.aio.AioRpcError) else str(exc) or "idle timeout"
                log_event(logger, "block fetch failed", level=logging.WARNING, source=source, height=chain.height,
                          target=height, error=reason)
            if chain.height >= height:
                break
            attempt += 1
            if chain.height == before:
                await asyncio.sleep(min(RETRY_MAX_S, 0.1 * attempt))
        log_event(logger, "caught up from deliver", height=chain.height)

    async def _fetch_from(self, source: str, chain: Chain, height: int,
                          append: Callable[[block_pb2.Block], Awaitable[None]]) -> None:
        request = seek_envelope(self._identity, self._channel_id, chain.height, stop=height)
        address, routing = linkfaults.route(self._sources[source])
        async with grpc.aio.secure_channel(address, grpcutil.channel_credentials(self._tls),
                                           options=CHANNEL_OPTIONS + routing) as channel:
            call = orderer_pb2_grpc.AtomicBroadcastStub(channel).Deliver(request)
            while chain.height < height:
                response = await asyncio.wait_for(call.read(), IDLE_TIMEOUT_S)
                if response is grpc.aio.EOF or response.WhichOneof("kind") != "block":
                    status = "end of stream" if response is grpc.aio.EOF else response.status
                    log_event(logger, "block source stopped", level=logging.WARNING, source=source, status=status,
                              height=chain.height)
                    return
                block = response.block
                self._verifier.verify(block, chain.height, hashing.header_hash(chain.last_header))
                await append(block)
                self.fetched += 1
            call.cancel()
