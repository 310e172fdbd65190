"""The BFT consenter: ordering by 3f+1 orderers of which f may be Byzantine (implements `consensus.Consenter`).

Parts and who owns what (docs/bft.md has the protocol):
- core.py, the state machine (pure), with certs.py (quorums, signature checks), pool.py (requests), statements.py
  (signed byte layouts); ticked by a timer task here.
- storage.py, its durable state: every Ready's state is synced before its messages leave.
- keys.py, the consenters' Ed25519 keys from the channel config.
- consensus/transport.py (shared with raft), the Cluster service; consensus/catchup.py (shared), blocks fetched
  from other orderers' Deliver, each verified with its 2f+1 signatures.
- byzantine.py, test-only fault modes.

Broadcast SUCCESS means the block holding the envelope is committed here: 2f+1 consenters signed it, and it is
appended to this orderer's chain. The gateway sends every envelope to every orderer and waits for f+1 of them.
Everything runs on the orderer's event loop; the only threads are the fsyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Coroutine, Mapping, Sequence
from typing import Any

import grpc

from gridledger.common.blockverify import BlockVerifier
from gridledger.common.envelope import EnvelopeError, open_stored
from gridledger.common.logs import log_event
from gridledger.orderer.consensus.bft.byzantine import Misbehaviour
from gridledger.orderer.consensus.bft.certs import Committee
from gridledger.orderer.consensus.bft.core import EVERYONE, BftCore, ChainPosition, Committed, CoreConfig, Message
from gridledger.orderer.consensus.bft.keys import ConsenterKeys
from gridledger.orderer.consensus.bft.messages import decode
from gridledger.orderer.consensus.bft.statements import commit_view
from gridledger.orderer.consensus.bft.storage import BftStorage
from gridledger.orderer.consensus.catchup import BlockFetcher
from gridledger.orderer.consensus.plugin import ConsenterSupport, ServiceUnavailable, cluster_membership, guarded
from gridledger.orderer.consensus.transport import ClusterTransport
from gridledger.orderer.faults import CONSENSUS_MODES, fault_from_environment
from gridledger.orderer.validation import EnvelopeValidator
from gridledger.v1 import block_pb2, transaction_pb2

logger = logging.getLogger("gridledger.orderer.consensus.bft")

TICK_S = 0.02


def txid_of(raw: bytes) -> str:
    return open_stored(raw).header.tx_id


class BftConsenter:
    """One channel's BFT replica on this orderer."""

    def __init__(self, support: ConsenterSupport, environment: Mapping[str, str] = os.environ) -> None:
        context = support.context
        consensus = context.config.consensus
        self.id, members, tls = cluster_membership(support, "bft")
        self._support = support
        self._channel_id = context.channel_id
        self._committee = Committee(tuple(members))
        options = consensus.bft
        self._config = CoreConfig(limits=support.limits,
                                  request_timeout_s=(options.request_timeout_ms or 500) / 1000,
                                  view_timeout_s=(options.view_change_timeout_ms or 1000) / 1000,
                                  leader_rotation=options.leader_rotation,
                                  rotation_blocks=options.rotation_blocks or 1)
        self._commit_timeout_s = max(10.0, 16 * self._config.view_timeout_s)
        self._keys = ConsenterKeys(context, support.identity)
        self._validator = EnvelopeValidator(context)
        self._fault = fault_from_environment(environment)
        self._misbehaviour = None if self._fault is None or self._fault.mode not in CONSENSUS_MODES else Misbehaviour(
            self._fault.mode, self.id, members, self._channel_id, self._keys.sign, random.Random())
        consenters = {c.id: c for c in consensus.consenters}
        self._transport = ClusterTransport(self._channel_id, self.id, consenters, tls, decode, self._receive,
                                           lambda _: None)
        self._fetcher = BlockFetcher(self._channel_id, self.id, consenters, support.identity, tls,
                                     BlockVerifier(context))
        self._core: BftCore | None = None
        self._storage: BftStorage | None = None
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._work: asyncio.Queue[Committed | int] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self._failure: str | None = None
        metrics = support.metrics
        metrics.gauge("gridledger_bft_view", "Current BFT view of this replica",
                      function=lambda: self._core.view if self._core else 0)
        metrics.gauge("gridledger_bft_is_leader", "1 while this replica leads its view",
                      function=lambda: 1 if self._core and self._core.leader == self.id else 0)
        leader = metrics.gauge("gridledger_bft_leader", "1 for the replica that leads this replica's view",
                               ("consenter",))
        for member in members:
            leader.labels(member).set_function(lambda member=member: 1 if self.leader == member else 0)
        metrics.counter_function("gridledger_bft_view_changes_total",
                                 "Views this replica entered by a timeout certificate",
                                 lambda: self._core.view_changes if self._core else 0)
        metrics.gauge("gridledger_bft_pool_requests", "Requests waiting in this replica's pool",
                      function=lambda: len(self._core.pool) if self._core else 0)
        metrics.counter_function("gridledger_bft_rejected_messages_total", "Consensus messages this replica refused",
                                 lambda: sum(self._core.rejected.values()) if self._core else 0)

    # ----- the Consenter interface -----

    def rpc_handlers(self) -> Sequence[grpc.GenericRpcHandler]:
        return [self._transport.handler()]

    async def start(self) -> None:
        if self._core is not None:
            raise RuntimeError("the bft consenter was already started")
        support = self._support
        self._storage = BftStorage(support.node.data_dir / "bft" / self._channel_id)
        state = await asyncio.to_thread(self._storage.load)
        loop = asyncio.get_running_loop()
        self._core = BftCore(self.id, self._committee, self._channel_id, self._config, self._keys, self._admit,
                             self._position(), state, now=loop.time())
        self._running = True
        self._transport.start()
        self._tasks = [asyncio.create_task(self._guard(self._drive(), "bft loop"), name="bft-loop"),
                       asyncio.create_task(self._guard(self._tick(), "bft ticker"), name="bft-ticker"),
                       asyncio.create_task(self._guard(self._apply(), "bft applier"), name="bft-applier")]
        self._wake.set()
        log_event(logger, "bft consenter started", node=self.id, members=list(self._committee.members),
                  view=self._core.view, height=self._core.tip_number + 1,
                  fault=None if self._fault is None else self._fault.mode)

    async def submit(self, envelopes: list[bytes]) -> None:
        """Returns once every envelope is in a committed block on this orderer (or was already)."""
        self._check_open()
        core = self._core
        assert core is not None
        loop = asyncio.get_running_loop()
        waits: list[asyncio.Future[None]] = []
        for envelope in envelopes:
            opened = open_stored(envelope)  # broadcast validated it already
            txid = opened.header.tx_id
            if self._censors(opened.header):
                continue  # a censoring orderer answers SUCCESS and drops it (the gateway asks f+1 orderers)
            if core.pool.was_committed(txid):
                continue
            if not core.submit(txid, envelope):
                raise ServiceUnavailable(f"the request pool of {self.id} is full; retry shortly")
            future = loop.create_future()
            self._waiters.setdefault(txid, []).append(future)
            waits.append(future)
        self._wake.set()
        if not waits:
            return
        try:
            await asyncio.wait_for(asyncio.gather(*waits), self._commit_timeout_s)
        except TimeoutError:
            raise ServiceUnavailable(f"the envelopes were not committed within {self._commit_timeout_s:.0f}s "
                                     f"(view {core.view}, leader {core.leader}); they may still be ordered") from None

    async def stop(self) -> None:
        self._running = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self._transport.stop()
        self._fail_waiters("the orderer is stopping")
        if self._core is not None:
            log_event(logger, "bft consenter stopped", node=self.id, view=self._core.view,
                      height=self._core.tip_number + 1)

    # ----- status -----

    @property
    def core(self) -> BftCore | None:
        return self._core

    @property
    def leader(self) -> str | None:
        return None if self._core is None else self._core.leader

    def consensus_status(self) -> dict[str, object]:
        core = self._core
        return {"consensus": "bft", "view": core.view if core else 0, "leader": self.leader,
                "view_changes": core.view_changes if core else 0}

    def _check_open(self) -> None:
        if self._failure is not None:
            raise ServiceUnavailable(f"the bft consenter stopped after an error: {self._failure}")
        if not self._running or self._core is None:
            raise ServiceUnavailable("the orderer is not accepting transactions (starting or stopping)")

    # ----- start -----

    def _position(self) -> ChainPosition:
        """The tip, its certificate and the view the trailing blocks committed in, read from the chain."""
        chain = self._support.chain
        tip = chain.block(chain.height - 1)
        if tip.header.number == 0:
            return ChainPosition(tip.header, self._keys.certificate_of(tip, 0))
        view = commit_view(tip, self._channel_id)
        run = 0
        for number in range(tip.header.number, max(0, tip.header.number - self._config.rotation_blocks), -1):
            if commit_view(chain.block(number), self._channel_id) != view:
                break
            run += 1
        return ChainPosition(tip.header, self._keys.certificate_of(tip, view), view, run)

    # ----- the loop -----

    async def _drive(self) -> None:
        """Persist, then send, then hand over committed blocks and fetches, for every Ready, forever."""
        assert self._core is not None and self._storage is not None
        core, storage = self._core, self._storage
        while True:
            await self._wake.wait()
            self._wake.clear()
            while core.has_ready():
                ready = core.ready()
                if ready.state is not None:
                    await asyncio.shield(asyncio.to_thread(storage.save, ready.state))
                for to, message in ready.messages:
                    self._send(to, message)
                for committed in ready.committed:
                    self._work.put_nowait(committed)
                if ready.fetch is not None:
                    self._work.put_nowait(ready.fetch)

    def _send(self, to: str, message: Message) -> None:
        outgoing = [(to, message)] if self._misbehaviour is None else self._misbehaviour.outgoing(to, message)
        for target, payload in outgoing:
            for peer in (self._transport.links if target == EVERYONE else [target]):
                self._transport.send(peer, payload)

    async def _tick(self) -> None:
        assert self._core is not None
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_S)
            self._core.tick(loop.time())
            self._wake.set()

    def _receive(self, sender: str, payload: Message) -> None:
        if not self._running or self._failure is not None or self._core is None:
            return
        self._core.receive(sender, payload)
        self._wake.set()

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        await guarded(work, name, logger, self.id, self._fail)

    def _fail(self, reason: str) -> None:
        self._failure = reason
        self._fail_waiters(f"the bft consenter failed: {reason}")
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._support.halt(reason)

    # ----- the chain -----

    async def _apply(self) -> None:
        """Committed blocks and fetches, in the order the core produced them, one at a time."""
        chain = self._support.chain
        while True:
            work = await self._work.get()
            if isinstance(work, Committed):
                block = block_pb2.Block()
                block.CopyFrom(work.block)
                self._keys.sign_block(block, work.certificate)
                if block.header.number < chain.height:
                    continue  # fetched meanwhile (the fetcher verified it links to the same chain)
                await asyncio.shield(self._support.writer.append(block, view=work.certificate.view))
                self._committed(work.txids)
            elif work > chain.height:
                await self._fetcher.fetch(chain, work, lambda: self.leader, self._append_fetched)

    async def _append_fetched(self, block: block_pb2.Block) -> None:
        await asyncio.shield(self._support.writer.append(block, fetched=True))
        view = commit_view(block, self._channel_id)
        txids = [txid_of(e) for e in block.data.envelopes]
        assert self._core is not None
        self._core.synced(block, self._keys.certificate_of(block, view), txids)
        self._committed(txids)
        self._wake.set()

    def _committed(self, txids: list[str]) -> None:
        for txid in txids:
            for waiter in self._waiters.pop(txid, ()):
                if not waiter.done():
                    waiter.set_result(None)

    def _fail_waiters(self, reason: str) -> None:
        waiters, self._waiters = self._waiters, {}
        for futures in waiters.values():
            for waiter in futures:
                if not waiter.done():
                    waiter.set_exception(ServiceUnavailable(f"{reason}; the envelopes may still be ordered"))

    # ----- requests -----

    def _admit(self, raw: bytes) -> str | None:
        """The txid of an envelope another consenter proposed or forwarded, if it is one we may order."""
        try:
            envelope = transaction_pb2.Envelope.FromString(raw)
        except Exception:  # DecodeError: not an envelope at all
            return None
        if not self._validator.check(envelope, len(raw)).accepted:
            return None
        try:
            return txid_of(raw)
        except EnvelopeError:
            return None

    def _censors(self, header: transaction_pb2.Header) -> bool:
        return (self._fault is not None and self._fault.mode == "censor"
                and header.creator.msp_id == self._fault.argument)
