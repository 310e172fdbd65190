"""The raft consenter: crash-fault-tolerant ordering by 3 or 5 orderers (implements `consensus.Consenter`).

Parts and who owns what:
- core.py, the Raft state machine (pure): elections, replication, commit; ticked by a timer task here.
- storage.py, its durable state: every Ready is fsync'd before its messages leave or its entries are applied.
- transport.py, the Cluster service: one stream per peer out, authenticated streams in.
- leader.py, the leader's term: shared BlockCutter, blocks built and signed by the leader, proposed as log entries.
- forward.py, a follower's broadcast: forwarded to the leader, answered with the leader's answer.
- applier.py + catchup.py, every node: committed blocks to the chain store; blocks a snapshot skipped, from Deliver.

One raft log entry is one block (or a leader's no-op). Broadcast SUCCESS means the block holding the envelope is
committed: in the raft log of a majority, on disk. Snapshots are taken every `snapshot_interval_blocks` blocks and
hold only the chain's height and tip hash; the log is compacted behind them, keeping a few entries so a follower
that is just behind does not need the snapshot.

Everything runs on the orderer's event loop; the only threads are the fsyncs. The raft loop (`_drive`) is the one
place that persists, sends and hands entries to the applier, in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Coroutine, Sequence
from typing import Any

import grpc

from gridledger.common.blockverify import BlockVerifier
from gridledger.common.logs import log_event
from gridledger.orderer.chain import ChainTip
from gridledger.orderer.consensus.catchup import BlockFetcher
from gridledger.orderer.consensus.plugin import (
    ConsenterSupport,
    NotLeader,
    ServiceUnavailable,
    cluster_membership,
    guarded,
)
from gridledger.orderer.consensus.raft.applier import Applier
from gridledger.orderer.consensus.raft.blocks import log_tip, snapshot_data, snapshot_tip
from gridledger.orderer.consensus.raft.core import CoreConfig, RaftCore, Role
from gridledger.orderer.consensus.raft.forward import Forwarder
from gridledger.orderer.consensus.raft.leader import LeaderSession
from gridledger.orderer.consensus.raft.messages import ClusterPayload, decode
from gridledger.orderer.consensus.raft.metrics import RaftMetrics
from gridledger.orderer.consensus.raft.options import RaftSettings
from gridledger.orderer.consensus.raft.storage import RaftStorage
from gridledger.orderer.consensus.transport import ClusterTransport
from gridledger.v1 import block_pb2, orderer_pb2, raft_pb2

logger = logging.getLogger("gridledger.orderer.consensus.raft")


class RaftConsenter:
    """One channel's raft node on this orderer."""

    def __init__(self, support: ConsenterSupport, rng: random.Random | None = None) -> None:
        context = support.context
        consensus = context.config.consensus
        self.id, members, tls = cluster_membership(support, "raft")
        self._support = support
        self._channel_id = context.channel_id
        self._settings = RaftSettings.from_config(consensus.raft)
        self._members = members
        self._consenters = {c.id: c for c in consensus.consenters}
        self._rng = rng or random.Random()
        self._commit_timeout_s = max(5.0, 5 * self._settings.max_election_timeout_s)
        self._leader_wait_s = 2 * self._settings.max_election_timeout_s
        self._transport = ClusterTransport(self._channel_id, self.id, self._consenters, tls, decode,
                                           self._receive, self._link_down)
        self._forwarder = Forwarder(self._transport.send)
        self._core: RaftCore | None = None
        self._storage: RaftStorage | None = None
        self._applier: Applier | None = None
        self._session: LeaderSession | None = None
        self._known_leader: str | None = None
        self._leader_changed = asyncio.Event()
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._forwards: set[asyncio.Task[None]] = set()
        self._saving: asyncio.Future[None] | None = None
        self._running = False
        self._failure: str | None = None
        self._snapshot_height = 1
        self._genesis = block_pb2.BlockHeader()  # read from the chain at start
        self.metrics = RaftMetrics(
            support.metrics, members, term=lambda: self._core.term if self._core else 0,
            commit=lambda: self._core.commit if self._core else 0,
            applied=lambda: self._applier.applied if self._applier else 0,
            is_leader=lambda: 1 if self._session is not None else 0, dropped=lambda: self._transport.dropped)

    # ----- the Consenter interface -----

    def rpc_handlers(self) -> Sequence[grpc.GenericRpcHandler]:
        return [self._transport.handler()]

    async def start(self) -> None:
        if self._core is not None:
            raise RuntimeError("the raft consenter was already started")
        support = self._support
        settings = self._settings
        self._storage = await asyncio.to_thread(RaftStorage, support.node.data_dir / "raft" / self._channel_id)
        state = await asyncio.to_thread(self._storage.load)
        config = CoreConfig(election_tick=settings.election_tick, heartbeat_tick=settings.heartbeat_tick)
        core = self._core = RaftCore(self.id, self._members, config, self._rng, state)
        self._genesis = support.chain.block(0).header
        tip = snapshot_tip(state.snapshot) if state.snapshot is not None else ChainTip.of(self._genesis)
        self._snapshot_height = tip.height
        fetcher = BlockFetcher(self._channel_id, self.id, self._consenters, support.identity, support.tls,
                               BlockVerifier(support.context))
        self._applier = Applier(support.chain, support.writer, fetcher, tip, core.applied, self._applied,
                                lambda: self._known_leader)
        if state.snapshot is not None:
            self._applier.enqueue(state.snapshot)  # the chain may be behind it if we crashed while catching up
        self._running = True
        self._transport.start()
        self._tasks = [asyncio.create_task(self._guard(self._drive(), "raft loop"), name="raft-loop"),
                       asyncio.create_task(self._guard(self._tick(), "raft ticker"), name="raft-ticker"),
                       asyncio.create_task(self._guard(self._applier.run(), "raft applier"), name="raft-applier")]
        self._wake.set()
        log_event(logger, "raft consenter started", node=self.id, members=self._members, term=core.term,
                  commit=core.commit, first_index=core.log.first_index, last_index=core.log.last_index,
                  snapshot=state.snapshot.index if state.snapshot is not None else 0,
                  tick_interval_ms=settings.tick_interval_ms, election_tick=settings.election_tick)

    async def submit(self, envelopes: list[bytes]) -> None:
        """Returns once the envelopes are committed (see leader.py); forwards to the leader from a follower and
        waits up to two election timeouts for a leader when there is none."""
        self._check_open()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._leader_wait_s
        while True:
            if self._session is not None:
                await self._session.submit(envelopes)
                return
            leader = self._known_leader
            if leader is not None and leader != self.id:
                await self._forwarder.forward(leader, envelopes, self._commit_timeout_s + 1.0)
                return
            remaining = deadline - loop.time()
            if remaining <= 0:
                term = self._core.term if self._core is not None else 0
                raise NotLeader(f"channel {self._channel_id!r} has no raft leader at the moment (term {term}, "
                                "an election or no quorum); retry shortly")
            changed = self._leader_changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)
            self._check_open()

    async def stop(self) -> None:
        """Stop taking part: waiters are told SERVICE_UNAVAILABLE, writes in flight finish, state is closed. What
        was committed and not yet applied is applied from the log at the next start."""
        self._running = False
        if self._session is not None:
            self._session.close("the orderer is stopping")
            self._session = None
        self._forwarder.fail("the orderer is stopping")
        for task in [*self._tasks, *self._forwards]:
            task.cancel()
        for task in [*self._tasks, *self._forwards]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        await self._transport.stop()
        if self._applier is not None:
            await self._applier.wait_writes()
        if self._saving is not None:
            with contextlib.suppress(Exception):
                await self._saving
        if self._storage is not None:
            self._storage.close()
            self._storage = None
        if self._core is not None:
            log_event(logger, "raft consenter stopped", node=self.id, term=self._core.term, commit=self._core.commit)

    # ----- status -----

    @property
    def leader(self) -> str | None:
        return self._known_leader

    @property
    def core(self) -> RaftCore | None:
        return self._core

    def consensus_status(self) -> dict[str, object]:
        return {"consensus": "raft", "term": self._core.term if self._core else 0, "leader": self._known_leader}

    def _check_open(self) -> None:
        if self._failure is not None:
            raise ServiceUnavailable(f"the raft consenter stopped after an error: {self._failure}")
        if not self._running or self._core is None:
            raise ServiceUnavailable("the orderer is not accepting transactions (starting or stopping)")

    # ----- the raft loop -----

    async def _drive(self) -> None:
        """Persist, then send, then apply, for every Ready, forever."""
        assert self._core is not None and self._storage is not None and self._applier is not None
        core, storage, applier = self._core, self._storage, self._applier
        while True:
            await self._wake.wait()
            self._wake.clear()
            while core.has_ready():
                ready = core.ready()
                if storage.needs_save(ready):
                    self._saving = asyncio.ensure_future(asyncio.to_thread(storage.save, ready))
                    await asyncio.shield(self._saving)
                    self._saving = None
                for to, message in ready.messages:
                    self._transport.send(to, message)
                if ready.received_snapshot is not None:
                    self._snapshot_height = snapshot_tip(ready.received_snapshot).height
                    self.metrics.snapshots.inc()
                    log_event(logger, "raft snapshot received", node=self.id, index=ready.received_snapshot.index,
                              height=self._snapshot_height, leader=self._known_leader)
                    applier.enqueue(ready.received_snapshot)
                if ready.committed:
                    applier.enqueue(ready.committed)
                    if self._session is not None:
                        self._session.committed(ready.committed[-1].index)

    async def _tick(self) -> None:
        assert self._core is not None
        while True:
            await asyncio.sleep(self._settings.tick_s)
            self._core.tick()
            self._changed()

    async def _guard(self, work: Coroutine[Any, Any, None], name: str) -> None:
        await guarded(work, name, logger, self.id, self._fail)

    def _fail(self, reason: str) -> None:
        self._failure = reason
        if self._session is not None:
            self._session.close("the raft consenter failed")
            self._session = None
        self._forwarder.fail("the raft consenter failed")
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._support.halt(reason)

    def _changed(self) -> None:
        """After any change to the core: start or end our leadership, follow leader changes, wake the loop."""
        core = self._core
        assert core is not None
        if core.role is Role.LEADER:
            if self._session is None or self._session.term != core.term:
                if self._session is not None:
                    self._session.close(f"term {self._session.term} ended")
                tip = log_tip(core.log, core.snapshot, self._genesis)
                self._session = LeaderSession(core, tip, self._support.limits, self._support.writer,
                                              self._wake.set, self.metrics.observe_latency, self._commit_timeout_s)
                log_event(logger, "raft leader elected", node=self.id, term=core.term, last_index=core.log.last_index,
                          next_block=tip.number + 1)
        elif self._session is not None:
            self._session.close(f"{self.id} is no longer the raft leader (term {core.term})")
            self._session = None
        leader = core.leader
        if leader != self._known_leader:
            self.metrics.leader_changed(self._known_leader, leader)
            self._forwarder.fail(f"the raft leader changed from {self._known_leader} to {leader}", keep=leader)
            log_event(logger, "raft leader changed", node=self.id, term=core.term, leader=leader,
                      previous=self._known_leader)
            self._known_leader = leader
            changed, self._leader_changed = self._leader_changed, asyncio.Event()
            changed.set()
        self._wake.set()

    # ----- messages from the other consenters -----

    def _receive(self, sender: str, payload: ClusterPayload) -> None:
        if not self._running or self._failure is not None or self._core is None:
            return
        if isinstance(payload, raft_pb2.RaftForward):
            task = asyncio.create_task(self._answer_forward(sender, payload))
            self._forwards.add(task)
            task.add_done_callback(self._forwards.discard)
        elif isinstance(payload, raft_pb2.RaftForwardResult):
            self._forwarder.on_result(sender, payload)
        else:
            try:
                self._core.step(sender, payload)
            except Exception:
                log_event(logger, "raft message dropped: it broke an invariant", level=logging.ERROR, exc_info=True,
                          node=self.id, sender=sender, kind=payload.DESCRIPTOR.name)
            self._changed()

    async def _answer_forward(self, sender: str, request: raft_pb2.RaftForward) -> None:
        result = raft_pb2.RaftForwardResult(request_id=request.request_id, status=orderer_pb2.SUCCESS)
        limit = self._support.limits.absolute_max_bytes
        try:
            if self._session is None:
                raise ServiceUnavailable(f"{self.id} is not the raft leader (it follows {self._known_leader})")
            if any(len(envelope) > limit for envelope in request.envelopes):
                raise ServiceUnavailable(f"a forwarded envelope exceeds absolute_max_bytes ({limit})")
            await self._session.submit(list(request.envelopes))
        except ServiceUnavailable as exc:
            result.status = orderer_pb2.SERVICE_UNAVAILABLE
            result.info = str(exc)
        self._transport.send(sender, result)

    def _link_down(self, peer: str) -> None:
        self._forwarder.fail(f"the stream to the leader {peer} broke", only=peer)

    # ----- the applier's progress -----

    def _applied(self, index: int, tip: ChainTip) -> None:
        """Take a snapshot every snapshot_interval_blocks blocks, at the entry just applied."""
        core = self._core
        if core is None or tip.height - self._snapshot_height < self._settings.snapshot_interval_blocks:
            return
        if index > core.applied or index <= core.log.offset_index or (core.snapshot is not None
                                                                      and index <= core.snapshot.index):
            return
        core.compact(index, snapshot_data(tip))
        self._snapshot_height = tip.height
        self.metrics.snapshots.inc()
        log_event(logger, "raft snapshot taken", node=self.id, index=index, height=tip.height,
                  first_index=core.log.first_index)
        self._wake.set()
