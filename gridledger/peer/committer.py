"""The commit path of a peer: verify a block from the ordering service, validate its transactions, commit it in
one ledger write, and tell whoever waits for those transactions how they ended.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import EnvelopeError, open_stored
from gridledger.peer.blockevents import events_of
from gridledger.peer.metrics import PeerMetrics
from gridledger.peer.validation.blockcheck import BlockValidator
from gridledger.v1 import block_pb2, peer_pb2

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommitOutcome:
    tx_id: str
    code: int
    block_number: int


class CommitNotifier:
    """Futures per txid for callers waiting on a commit, plus subscribers to every committed block.

    Lives on the peer's event loop; the committer thread hands results over with call_soon_threadsafe.
    """

    def __init__(self) -> None:
        self._waiters: dict[str, list[asyncio.Future[CommitOutcome]]] = defaultdict(list)
        self._block_events: list[asyncio.Event] = []
        self.height = 0

    def wait_for(self, tx_id: str) -> asyncio.Future[CommitOutcome]:
        future: asyncio.Future[CommitOutcome] = asyncio.get_running_loop().create_future()
        self._waiters[tx_id].append(future)
        return future

    def forget(self, tx_id: str, future: asyncio.Future[CommitOutcome]) -> None:
        futures = self._waiters.get(tx_id)
        if futures and future in futures:
            futures.remove(future)
            if not futures:
                del self._waiters[tx_id]

    def block_committed(self, height: int, outcomes: list[CommitOutcome]) -> None:
        self.height = height
        for outcome in outcomes:
            for future in self._waiters.pop(outcome.tx_id, ()):
                if not future.done():
                    future.set_result(outcome)
        events, self._block_events = self._block_events, []
        for event in events:
            event.set()

    async def wait_for_height_above(self, height: int) -> None:
        while self.height <= height:
            event = asyncio.Event()
            self._block_events.append(event)
            await event.wait()


def tx_ids(block: block_pb2.Block) -> list[str]:
    """The txid of every envelope ('' where the envelope cannot be read)."""
    ids = []
    for raw in block.data.envelopes:
        try:
            ids.append(open_stored(raw).header.tx_id)
        except EnvelopeError:  # malformed envelopes carry no usable txid
            ids.append("")
    return ids


def filtered_block(block: block_pb2.Block) -> peer_pb2.FilteredBlock:
    """Per-transaction status and chaincode events of a committed block."""
    result = peer_pb2.FilteredBlock(number=block.header.number)
    for tx_id, code, raw in zip(tx_ids(block), block.metadata.validation_codes, block.data.envelopes, strict=True):
        result.transactions.add(tx_id=tx_id, code=code,
                                events=events_of(raw) if code == block_pb2.VALID else [])
    return result


class Committer:
    """Verifies, validates and commits blocks in order; the only writer of the peer's ledger."""

    def __init__(self, context: ChannelContext, ledger, metrics: PeerMetrics) -> None:
        self._ledger = ledger
        self._verifier = BlockVerifier(context)
        self._validator = BlockValidator(context, ledger)
        self._metrics = metrics

    def commit(self, block: block_pb2.Block) -> list[CommitOutcome]:
        """Commit one block that extends the ledger; raise BlockVerificationError if it does not verify."""
        self._verifier.verify(block, self._ledger.height, self._ledger.last_block_hash)
        started = time.perf_counter()
        codes = self._validator.validate(block)
        validated = time.perf_counter()
        del block.metadata.validation_codes[:]
        block.metadata.validation_codes.extend(codes)
        self._ledger.commit(block)
        self._metrics.validate.observe(validated - started)
        self._metrics.commit.observe(time.perf_counter() - validated)
        self._metrics.blocks.inc()
        for code in set(codes):
            self._metrics.transactions.labels(block_pb2.ValidationCode.Name(code)).inc(codes.count(code))
        log.info("committed block", extra={"block": block.header.number, "txs": len(codes),
                                           "valid": codes.count(block_pb2.VALID)})
        return [CommitOutcome(tx_id, code, block.header.number)
                for tx_id, code in zip(tx_ids(block), codes, strict=True) if tx_id]
