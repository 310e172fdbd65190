"""The BFT state machine of one replica (docs/bft.md): pure, deterministic, no clock, no I/O.

Time enters as `tick(now)`, the network as `receive(sender, message)`, clients as `submit(txid, envelope)`, blocks
fetched from other orderers as `synced(...)`. What must happen comes out of `ready()`: the durable state to persist,
messages to send, committed blocks to append, and how far to fetch. The driver (consenter.py, or the simulation in
the tests) must persist a Ready's state before sending its messages: that is what makes a vote binding across a
crash. Signatures go through the `Keys` it is given, envelope validation through `admit`; both are deterministic.

The protocol: one block at a time, a proposal by the view's leader, all-to-all PREPARE and COMMIT votes, 2f+1 of
each; view changes by timeouts that carry each replica's highest certificate; a rotating leader.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gridledger.common import hashing
from gridledger.orderer.consensus.bft.certs import (
    Committee,
    Keys,
    Rejected,
    TimeoutCollector,
    Verifier,
    VoteCollector,
)
from gridledger.orderer.consensus.bft.pool import RequestPool
from gridledger.orderer.consensus.bft.proposals import Tip, check_block, check_justified, new_block, parse_block
from gridledger.orderer.consensus.bft.statements import (
    COMMIT,
    PREPARE,
    MetadataError,
    Rank,
    commit_view,
    metadata,
    proposal_statement,
    timeout_statement,
    vote_statement,
)
from gridledger.orderer.cutter import BatchLimits
from gridledger.v1 import bft_pb2, block_pb2

# Certificates also travel on their own, to replicas behind us: our tip's COMMIT certificate (from which a
# replica learns what it missed and fetches the blocks), and the timeout certificate that ended its view.
Message = (bft_pb2.BftProposal | bft_pb2.BftVote | bft_pb2.BftTimeout | bft_pb2.BftForward
           | bft_pb2.BftCertificate | bft_pb2.BftTimeoutCertificate)
MESSAGE_TYPES = (bft_pb2.BftProposal, bft_pb2.BftVote, bft_pb2.BftTimeout, bft_pb2.BftForward,
                 bft_pb2.BftCertificate, bft_pb2.BftTimeoutCertificate)
EVERYONE = "*"  # the recipient of a message for every other consenter
RECENT_HASHES = 1024  # committed heights remembered, to vote for re-proposals of blocks already committed


@dataclass(frozen=True)
class CoreConfig:
    limits: BatchLimits
    request_timeout_s: float
    view_timeout_s: float
    leader_rotation: bool = True
    rotation_blocks: int = 1
    pool_capacity: int = 200_000
    max_backoff: int = 3  # the view timeout doubles at most this many times
    view_window: int = 64  # how far beyond its view a replica accepts messages

    def __post_init__(self) -> None:
        if self.request_timeout_s <= 0 or self.view_timeout_s <= 0 or self.rotation_blocks < 1:
            raise ValueError("BFT timeouts must be positive and rotation_blocks at least 1")

    @property
    def grace_s(self) -> float:
        """How long a new leader waits for timeouts beyond the quorum (docs/bft.md, "Liveness")."""
        return self.view_timeout_s / 8


@dataclass(frozen=True)
class ChainPosition:
    """What the stored chain tells a starting replica: its tip, the certificate that committed it, and the view
    the trailing blocks committed in (with how many did)."""

    tip: block_pb2.BlockHeader
    certificate: bft_pb2.BftCertificate  # empty for the genesis block
    view: int = 0
    run: int = 0


@dataclass
class Committed:
    """A decided block; the driver adds the certificate's signatures (by consenter id here) to the block's
    metadata as the consenters' identities before storing it."""

    block: block_pb2.Block
    certificate: bft_pb2.BftCertificate
    txids: list[str]


@dataclass
class Ready:
    """One batch of work for the driver, in this order: persist `state`, send `messages`, append `committed`."""

    state: bft_pb2.BftState | None = None
    messages: list[tuple[str, Message]] = field(default_factory=list)
    committed: list[Committed] = field(default_factory=list)
    fetch: int | None = None  # fetch blocks from other orderers until the chain has this height


@dataclass
class _Body:
    block: block_pb2.Block
    txids: list[str]


class BftCore:
    """One replica's state. Every method runs to completion; none touches disk, network or clock."""

    def __init__(self, node_id: str, committee: Committee, channel: str, config: CoreConfig, keys: Keys,
                 admit: Callable[[bytes], str | None], position: ChainPosition,
                 state: bft_pb2.BftState | None = None, now: float = 0.0) -> None:
        if node_id not in committee.members:
            raise ValueError(f"{node_id!r} is not one of the consenters {list(committee.members)}")
        self.id = node_id
        self.committee = committee
        self.channel = channel
        self.config = config
        self._keys = keys
        self._admit = admit
        self._verifier = Verifier(channel, committee, keys)
        self._votes = VoteCollector(committee.quorum)
        self._timeouts = TimeoutCollector()
        self.pool = RequestPool(config.limits, config.pool_capacity)
        self.now = now
        self.rejected: Counter[str] = Counter()
        self.view_changes = 0
        state = state or bft_pb2.BftState()
        self.tip_number = position.tip.number
        self.tip_hash = hashing.header_hash(position.tip)
        self._tip_certificate = position.certificate
        self.tip_view, self._run = position.view, position.run
        self._recent: deque[tuple[int, bytes]] = deque([(self.tip_number, self.tip_hash)], maxlen=RECENT_HASHES)
        self.view = max(state.view, self._chain_view())
        self._vote_from = state.vote_from_view
        self._prepared = (state.prepared_view, state.prepared_height)
        self._commit_voted = (state.committed_view, state.committed_height)
        self._bodies: dict[bytes, _Body] = {}
        self.high = position.certificate
        self._high_block = b""
        if state.HasField("high") and Rank.of(state.high) > Rank.of(self.high):
            self.high, self._high_block = state.high, state.high_block
            if state.high_block:
                self._remember_body(block_pb2.Block.FromString(state.high_block))
        self._tc: bft_pb2.BftTimeoutCertificate | None = None  # the TC of view-1 that let us into self.view
        self._entered_at = self._last_progress = now  # a restart gives the view a full timeout before judging
        self._failures = 0
        self._parked: dict[int, tuple[str, bft_pb2.BftProposal]] = {}
        self._timeout_sent_at = -1e9
        self._fetch_target: int | None = None
        self._ready = Ready()
        self._dirty = False

    # ----- inputs -----

    def tick(self, now: float) -> None:
        self.now = now
        self._pacemaker()
        self._forward_overdue()
        self._maybe_propose()

    def submit(self, txid: str, envelope: bytes) -> bool:
        """Add a validated client request; False when the pool is full (the client should retry later)."""
        if self.pool.full:
            return False
        self.pool.add(txid, envelope, self.now)
        self._maybe_propose()
        return True

    def receive(self, sender: str, message: Message) -> None:
        """A message from another consenter (the transport authenticated `sender`); a bad one is counted in
        `rejected` and changes nothing."""
        try:
            if isinstance(message, bft_pb2.BftProposal):
                self._on_proposal(sender, message)
            elif isinstance(message, bft_pb2.BftVote):
                self._on_vote(sender, message)
            elif isinstance(message, bft_pb2.BftTimeout):
                self._on_timeout(sender, message)
            elif isinstance(message, bft_pb2.BftForward):
                self._on_forward(message)
            elif isinstance(message, bft_pb2.BftCertificate):
                self._on_certificate(message)
            elif isinstance(message, bft_pb2.BftTimeoutCertificate):
                self._on_timeout_certificate(message)
        except Rejected as exc:
            self.rejected[exc.reason] += 1
        self._maybe_propose()

    def synced(self, block: block_pb2.Block, certificate: bft_pb2.BftCertificate, txids: list[str]) -> None:
        """A block the driver fetched from another orderer, verified (2f+1 signatures) and appended."""
        if block.header.number != self.tip_number + 1 or block.header.previous_hash != self.tip_hash:
            return
        try:
            view = commit_view(block, self.channel)
        except MetadataError:
            self.rejected["fetched block without commit metadata"] += 1
            return
        self._advance(block.header, certificate, view, txids)
        if self._fetch_target is not None and self.tip_number + 1 >= self._fetch_target:
            self._fetch_target = None
        self._resume()
        self._maybe_propose()

    # ----- outputs -----

    def has_ready(self) -> bool:
        r = self._ready
        return self._dirty or bool(r.messages or r.committed) or r.fetch is not None

    def ready(self) -> Ready:
        ready, self._ready = self._ready, Ready()
        if self._dirty:
            ready.state = self.durable_state()
            self._dirty = False
        return ready

    def durable_state(self) -> bft_pb2.BftState:
        return bft_pb2.BftState(view=self.view, vote_from_view=self._vote_from, prepared_view=self._prepared[0],
                                prepared_height=self._prepared[1], committed_view=self._commit_voted[0],
                                committed_height=self._commit_voted[1], high=self.high,
                                high_block=self._high_block)

    @property
    def leader(self) -> str:
        return self.committee.leader(self.view)

    # ----- proposals -----

    def _on_proposal(self, sender: str, proposal: bft_pb2.BftProposal) -> None:
        view = proposal.view
        if view < self.view:
            raise Rejected("stale proposal", f"view {view} < {self.view}")
        if view > self.view + self.config.view_window:
            raise Rejected("proposal too far ahead", f"view {view}")
        if sender != self.committee.leader(view):
            raise Rejected("proposal from a non-leader", f"{sender} in view {view}")
        block = parse_block(proposal.block)
        block_hash = hashing.header_hash(block.header)
        statement = proposal_statement(self.channel, view, block.header.number, block_hash)
        if not self._keys.verify(sender, statement, proposal.signature):
            raise Rejected("bad proposal signature", f"from {sender} in view {view}")
        tc_rank = None
        if proposal.HasField("tc"):
            if proposal.tc.view + 1 != view:
                raise Rejected("timeout certificate of another view", f"{proposal.tc.view} for view {view}")
            tc_rank = self._verifier.timeout_certificate(proposal.tc)
            self._enter(view, tc=proposal.tc)
        justify_rank = self._verifier.certificate(proposal.justify)
        if proposal.justify.phase == COMMIT:
            self._learn_commit(proposal.justify)
        elif proposal.justify.height > self.tip_number + 1:
            self._request_fetch(proposal.justify.height)  # 2f+1 prepared it: the blocks before it are committed
        if view > self.view or block.header.number > self.tip_number + 1:
            self._parked[view] = (sender, proposal)  # behind: wait for the view or the blocks, then look again
            return
        self._consider(proposal, block, block_hash, tc_rank, justify_rank)

    def _consider(self, proposal: bft_pb2.BftProposal, block: block_pb2.Block, block_hash: bytes,
                  tc_rank: Rank | None, justify_rank: Rank) -> None:
        """The PREPARE vote rule of docs/bft.md ("Normal case", step 2)."""
        view, height = proposal.view, block.header.number
        if view < self._vote_from:
            raise Rejected("proposal in a view this replica timed out", f"view {view}")
        if (view, height) <= self._prepared:
            raise Rejected("second proposal in a view and height", f"view {view}, height {height}")
        if height <= self.tip_number:
            if (height, block_hash) not in self._recent:
                raise Rejected("proposal conflicts with a committed block", f"height {height}")
        else:
            if block.header.previous_hash != self.tip_hash:
                raise Rejected("proposal does not extend the committed tip", f"height {height}")
            tip = Tip(self.tip_number, self.tip_hash, self._chain_view(), self.high)
            check_justified(view, proposal.justify, block, block_hash, tc_rank, justify_rank, tip)
        txids = check_block(block, view, self.channel, self.config.limits, self._txid)
        self._remember_body(block, txids)
        self._prepared = (view, height)
        self._dirty = True
        self._vote(PREPARE, view, height, block_hash)

    def _maybe_propose(self) -> None:
        """As leader of this view: propose the next block when its justification and its batch are ready."""
        view, height = self.view, self.tip_number + 1
        if (self.leader != self.id or view < self._vote_from or (view, height) <= self._prepared
                or self._fetch_target is not None):
            return
        tc = None
        if self._chain_view() == view:
            justify = self._tip_certificate
            body = None
        elif self._tc is not None and self._tc.view == view - 1:
            collected = self._timeouts.count(view - 1)
            if collected < self.committee.size and self.now < self._entered_at + self.config.grace_s:
                return
            if collected >= self.committee.quorum:
                tc = self._timeouts.certificate(view - 1)
                justify, body = self._highest_certificate(view - 1)
            else:  # we entered by a TC we were sent: only our own certificate can justify, if it ranks high enough
                tc = self._tc
                justify, body = self._highest_certificate(None)
                if Rank.of(justify) < self._verifier.timeout_certificate(tc):
                    return
            if justify.phase == COMMIT and justify.height > self.tip_number:
                self._learn_commit(justify)
                return
            if justify.phase == PREPARE and (justify.height != height or body is None):
                return  # behind that certificate (fetching first), or without its block: the view times out
        else:
            return
        if body is None:
            if not self._batch_due():
                return
            envelopes, _ = self.pool.next_batch()
            block = new_block(self.tip_number + 1, self.tip_hash, envelopes)
        else:
            block = block_pb2.Block()
            block.CopyFrom(body)
        block.metadata.consenter_metadata = metadata(COMMIT, self.channel, view, height)
        block_hash = hashing.header_hash(block.header)
        proposal = bft_pb2.BftProposal(view=view, block=block.SerializeToString(), justify=justify, tc=tc,
                                       signature=self._keys.sign(proposal_statement(self.channel, view, height,
                                                                                     block_hash)))
        self._send(EVERYONE, proposal)
        try:
            self._consider(proposal, block, block_hash, None if tc is None else
                           self._verifier.timeout_certificate(tc), self._verifier.certificate(justify))
        except Rejected as exc:  # our own proposal must pass our own rule; if not, that is a bug worth counting
            self.rejected[f"own proposal: {exc.reason}"] += 1

    def _batch_due(self) -> bool:
        oldest = self.pool.oldest_arrival()
        if oldest is None:
            return False
        return (len(self.pool) >= self.config.limits.max_message_count
                or self.now - oldest >= self.config.limits.batch_timeout_s)

    def _highest_certificate(self, view: int | None) -> tuple[bft_pb2.BftCertificate, block_pb2.Block | None]:
        """The highest certificate among our own and the timeouts of `view` (if given), with its block if
        PREPARE."""
        best, block_bytes = self.high, self._high_block
        timeout = None if view is None else self._timeouts.highest(view)
        if timeout is not None and Rank.of(timeout.high) > Rank.of(best):
            best, block_bytes = timeout.high, timeout.high_block
        if best.phase == PREPARE and best.height:
            body = self._bodies.get(best.block_hash)
            if body is None and block_bytes:
                block = parse_block(block_bytes)
                if hashing.header_hash(block.header) == best.block_hash:
                    return best, block
            return best, None if body is None else body.block
        return best, None

    # ----- votes and certificates -----

    def _vote(self, phase: int, view: int, height: int, block_hash: bytes) -> None:
        signature = self._keys.sign(vote_statement(phase, self.channel, view, height, block_hash))
        vote = bft_pb2.BftVote(phase=phase, view=view, height=height, block_hash=block_hash, signature=signature)
        self._send(EVERYONE, vote)
        self._count(self.id, vote)

    def _on_vote(self, sender: str, vote: bft_pb2.BftVote) -> None:
        if vote.height <= self.tip_number and (vote.view < self.view
                                               or (vote.height, vote.block_hash) not in self._recent):
            return  # decided already; only a re-proposal of our own committed block still needs our votes
        lowest = self.view if vote.phase == PREPARE else self.view - self.config.view_window
        if not lowest <= vote.view <= self.view + self.config.view_window:
            raise Rejected("vote outside the view window", f"view {vote.view}")
        self._verifier.vote(sender, vote)
        self._count(sender, vote)

    def _count(self, signer: str, vote: bft_pb2.BftVote) -> None:
        certificate = self._votes.add(signer, vote)
        if certificate is None:
            return
        if certificate.phase == COMMIT:
            self._learn_commit(certificate)
            return
        body = self._bodies.get(certificate.block_hash)
        if body is None:
            return  # the proposal never reached us; the COMMIT certificate will send us fetching
        self._raise_high(certificate, body.block)
        view, height = certificate.view, certificate.height
        if view == self.view and view >= self._vote_from and (view, height) > self._commit_voted:
            self._commit_voted = (view, height)
            self._dirty = True
            self._vote(COMMIT, view, height, certificate.block_hash)

    def _raise_high(self, certificate: bft_pb2.BftCertificate, block: block_pb2.Block | None) -> None:
        if Rank.of(certificate) <= Rank.of(self.high):
            return
        self.high = certificate
        self._high_block = block.SerializeToString() if certificate.phase == PREPARE and block is not None else b""
        self._dirty = True

    def _learn_commit(self, certificate: bft_pb2.BftCertificate) -> None:
        """A verified COMMIT certificate: commit its block if it is next and we hold it, else fetch."""
        height = certificate.height
        if height <= self.tip_number:
            if (height, certificate.block_hash) not in self._recent:
                if height > self.tip_number - len(self._recent):
                    self.rejected["COMMIT certificate for another block than ours (fork)"] += 1
            elif height == self.tip_number and certificate.view > self.tip_view:
                # Our tip committed again in a later view (a re-proposal after a view change): follow that
                # view, so the rotation stays in step with the replicas that committed it there.
                self._tip_certificate = certificate
                self.tip_view, self._run = certificate.view, 1
                if self._chain_view() > self.view:
                    self._enter(self._chain_view(), tc=None)
            return
        self._raise_high(certificate, None)
        body = self._bodies.get(certificate.block_hash)
        if height == self.tip_number + 1 and body is not None:
            block = body.block
            committed = block_pb2.Block()
            committed.CopyFrom(block)
            self._ready.committed.append(Committed(committed, certificate, body.txids))
            self._advance(block.header, certificate, certificate.view, body.txids)
            self._resume()
            return
        self._request_fetch(height + 1)

    def _request_fetch(self, height: int) -> None:
        """Ask the driver to fetch blocks until the chain has `height` blocks (a verified certificate says
        they exist)."""
        if self._fetch_target is None or height > self._fetch_target:
            self._fetch_target = height
            self._ready.fetch = height

    def _advance(self, header: block_pb2.BlockHeader, certificate: bft_pb2.BftCertificate, view: int,
                 txids: list[str]) -> None:
        """The chain grew by one block (committed here or fetched)."""
        self.tip_number = header.number
        self.tip_hash = hashing.header_hash(header)
        self._tip_certificate = certificate
        self._recent.append((self.tip_number, self.tip_hash))
        if view == self.tip_view:
            self._run += 1
        else:
            self.tip_view, self._run = view, 1
        self.pool.committed(txids)
        self._raise_high(certificate, None)
        self._bodies = {h: b for h, b in self._bodies.items() if b.block.header.number > self.tip_number}
        self._votes.prune(self.tip_number + 1, self.view)
        self._last_progress = self.now
        self._failures = 0
        chain_view = self._chain_view()
        if chain_view > self.view:
            self._enter(chain_view, tc=None)

    def _remember_body(self, block: block_pb2.Block, txids: list[str] | None = None) -> None:
        if txids is None:
            txids = [t for t in map(self._txid, block.data.envelopes) if t is not None]
        self._bodies[hashing.header_hash(block.header)] = _Body(block, txids)

    # ----- views -----

    def _chain_view(self) -> int:
        """The view the committed chain alone puts us in: the tip's view, or the next after a full rotation."""
        if self.config.leader_rotation and self._run >= self.config.rotation_blocks:
            return self.tip_view + 1
        return self.tip_view

    def _enter(self, view: int, tc: bft_pb2.BftTimeoutCertificate | None) -> None:
        if view <= self.view:
            return
        self.view = view
        self._tc = tc
        self._entered_at = self._last_progress = self.now
        if tc is not None:
            self._failures += 1
            self.view_changes += 1
        self._dirty = True
        self._votes.prune(self.tip_number + 1, view)
        self._timeouts.prune(view - 1)
        self._parked = {v: p for v, p in self._parked.items() if v >= view}
        self._resume()

    def _resume(self) -> None:
        """Look again at a parked proposal once the view or the chain has caught up with it."""
        parked = self._parked.pop(self.view, None)
        if parked is not None:
            try:
                self._on_proposal(*parked)
            except Rejected as exc:
                self.rejected[exc.reason] += 1

    def _view_timeout(self) -> float:
        return self.config.view_timeout_s * (2 ** min(self._failures, self.config.max_backoff))

    def _pacemaker(self) -> None:
        """Time the view out when work waits without progress, or a forwarded request stays unordered."""
        limit = self._view_timeout()
        if self.view < self._vote_from:
            # Timeouts are the one message we repeat (also after a restart in a view we had timed out), at the
            # base period, not the backed-off one: a lost timeout must not cost a doubled wait.
            if self.now - self._timeout_sent_at >= self.config.view_timeout_s:
                self._broadcast_timeout()
            return
        pending = len(self.pool) > 0 or self._prepared == (self.view, self.tip_number + 1)
        stuck = self.pool.stuck_since(self.view)
        if (pending and self.now - self._last_progress >= limit) or (stuck is not None and self.now - stuck >= limit):
            self._time_out(self.view)

    def _time_out(self, view: int) -> None:
        if view < self._vote_from:
            return
        self._vote_from = view + 1
        self._dirty = True
        self._broadcast_timeout()

    def _broadcast_timeout(self) -> None:
        """Send (again) our timeout of the current view, with the high certificate we hold now."""
        view, rank = self.view, Rank.of(self.high)
        timeout = bft_pb2.BftTimeout(view=view, high=self.high, signature=self._keys.sign(
            timeout_statement(self.channel, view, rank)))
        if self.high.phase == PREPARE and self.high.height:
            timeout.high_block = self._high_block
        self._timeout_sent_at = self.now
        self._send(EVERYONE, timeout)
        self._collect_timeout(self.id, rank, timeout)

    def _on_timeout(self, sender: str, timeout: bft_pb2.BftTimeout) -> None:
        if timeout.view > self.view + self.config.view_window:
            raise Rejected("timeout outside the view window", f"view {timeout.view}")
        rank = self._verifier.timeout(sender, timeout)
        if rank < Rank.of(self._tip_certificate) and self._tip_certificate.height:
            self._send(sender, self._tip_certificate)  # it is behind us: show it what committed
        if timeout.view < self.view and self._tc is not None:
            self._send(sender, self._tc)  # and how we left its view
        if timeout.view < self.view - 1:
            return
        if timeout.high.phase == COMMIT:
            self._learn_commit(timeout.high)
        elif timeout.high_block:
            block = parse_block(timeout.high_block)
            if hashing.header_hash(block.header) == timeout.high.block_hash:
                self._remember_body(block)
        self._collect_timeout(sender, rank, timeout)

    def _on_timeout_certificate(self, tc: bft_pb2.BftTimeoutCertificate) -> None:
        if tc.view + 1 <= self.view:
            return
        if tc.view > self.view + self.config.view_window:
            raise Rejected("timeout certificate outside the view window", f"view {tc.view}")
        self._verifier.timeout_certificate(tc)
        self._enter(tc.view + 1, tc=tc)

    def _on_certificate(self, certificate: bft_pb2.BftCertificate) -> None:
        if certificate.phase != COMMIT or certificate.height <= self.tip_number:
            return
        self._verifier.certificate(certificate)
        self._learn_commit(certificate)

    def _collect_timeout(self, sender: str, rank: Rank, timeout: bft_pb2.BftTimeout) -> None:
        count = self._timeouts.add(sender, rank, timeout)
        view = timeout.view
        if count >= self.committee.faulty + 1 and view >= self.view and view >= self._vote_from:
            self._enter(view, tc=None)
            self._time_out(view)  # amplification: f+1 timeouts include an honest one; join it
        if self._timeouts.count(view) >= self.committee.quorum and view + 1 > self.view:
            tc = self._timeouts.certificate(view)
            self._enter(view + 1, tc=tc)
            self._send(EVERYONE, tc)  # replicas that missed some of the timeouts enter the view with us

    # ----- requests -----

    def _on_forward(self, forward: bft_pb2.BftForward) -> None:
        if len(forward.envelopes) > self.config.limits.max_message_count:
            raise Rejected("forward too large", f"{len(forward.envelopes)} envelopes")
        for envelope in forward.envelopes:
            if self.pool.full or self.pool.txid_of(envelope) is not None:
                continue
            txid = self._admit(envelope)
            if txid is None:
                raise Rejected("forwarded envelope is invalid")
            self.pool.add(txid, envelope, self.now)

    def _txid(self, envelope: bytes) -> str | None:
        """The txid of a valid request: known from the pool, or validated now."""
        return self.pool.txid_of(envelope) or self._admit(envelope)

    def _forward_overdue(self) -> None:
        if self.leader == self.id:
            return
        overdue = self.pool.overdue(self.now, self.config.request_timeout_s, self.view)
        limit = self.config.limits.max_message_count
        for start in range(0, len(overdue), limit):
            chunk = [envelope for _, envelope in overdue[start:start + limit]]
            self._send(self.leader, bft_pb2.BftForward(envelopes=chunk))

    def _send(self, to: str, message: Message) -> None:
        self._ready.messages.append((to, message))

