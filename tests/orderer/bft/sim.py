"""A deterministic simulator for `BftCore`: replicas, a lossy network, crashes, Byzantine replicas, and the checks.

Everything random comes from one `random.Random(seed)` and nothing reads a clock, so a failing seed replays
exactly. Time advances in rounds of 10 ms; each round every live replica ticks, and messages arrive after a random
delay of whole rounds (which reorders them), or are dropped or duplicated. A crash throws a replica's memory away
and restarts it from what it persisted (its last Ready state and its chain), as the orderer does after kill -9.

Signatures are HMAC-SHA256 with a secret per replica: a Byzantine replica can sign as itself only, which is all
the protocol assumes of Ed25519. Requests are `tx-<n>` byte strings; anything else is an invalid envelope.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from gridledger.common import hashing
from gridledger.orderer.consensus.bft.byzantine import Misbehaviour
from gridledger.orderer.consensus.bft.certs import Committee, Verifier
from gridledger.orderer.consensus.bft.core import EVERYONE, BftCore, ChainPosition, CoreConfig, Message
from gridledger.orderer.consensus.bft.statements import commit_view, proposal_statement, vote_statement
from gridledger.orderer.cutter import BatchLimits
from gridledger.orderer.faults import CONSENSUS_MODES
from gridledger.v1 import bft_pb2, block_pb2

ROUND_S = 0.01
LIMITS = BatchLimits(max_message_count=8, preferred_max_bytes=1024, absolute_max_bytes=4096, batch_timeout_ms=20)
CONFIG = CoreConfig(limits=LIMITS, request_timeout_s=0.1, view_timeout_s=0.2, leader_rotation=True,
                    rotation_blocks=1)
CHANNEL = "energy"
BYZANTINE_MODES = (*CONSENSUS_MODES, "garbage", "smuggle")
FORGED = b"forged-envelope"  # what a smuggling leader slips into its blocks: not a valid request


class SafetyViolation(AssertionError):
    pass


class SimKeys:
    def __init__(self, node_id: str, secrets: dict[str, bytes]) -> None:
        self._id = node_id
        self._secrets = secrets

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self._secrets[self._id], message, hashlib.sha256).digest()

    def verify(self, signer: str, message: bytes, signature: bytes) -> bool:
        secret = self._secrets.get(signer)
        return secret is not None and hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(),
                                                          signature)


def admit(envelope: bytes) -> str | None:
    return envelope.decode() if envelope.startswith(b"tx-") and len(envelope) < 64 else None


def genesis() -> block_pb2.Block:
    block = block_pb2.Block()
    block.header.data_hash = hashing.data_hash([b"genesis"])
    block.data.envelopes.append(b"genesis")
    return block


@dataclass
class Replica:
    id: str
    core: BftCore
    chain: list[block_pb2.Block]
    certificates: list[bft_pb2.BftCertificate]
    state: bft_pb2.BftState = field(default_factory=bft_pb2.BftState)
    alive: bool = True
    byzantine: str | None = None
    misbehaviour: Misbehaviour | None = None
    fetching: int = 0  # the height a fetch must reach; retried every round, like the orderer's fetcher


@dataclass
class Faults:
    loss: float = 0.05
    duplicate: float = 0.03
    max_delay: int = 4  # rounds
    crash: float = 0.002  # per replica and round
    restart: float = 0.05
    partition: float = 0.004  # per round: cut the network into two groups
    heal: float = 0.02


class Simulation:
    def __init__(self, seed: int, size: int = 4, faults: Faults | None = None, byzantine: dict[str, str] | None = None,
                 config: CoreConfig = CONFIG) -> None:
        self.rng = random.Random(seed)
        self.faults = faults or Faults()
        self.config = config
        self.ids = [f"o{i}" for i in range(size)]
        self.committee = Committee(tuple(self.ids))
        self._secrets = {i: self.rng.randbytes(32) for i in self.ids}
        self.genesis = genesis()
        self.byzantine = byzantine or {}
        self.round = 0
        self.replicas = {i: self._start(i, [self.genesis], [bft_pb2.BftCertificate()], bft_pb2.BftState())
                         for i in self.ids}
        for node_id, mode in self.byzantine.items():
            self.replicas[node_id].byzantine = mode
        self.inflight: list[tuple[int, str, str, bytes, type]] = []  # (due round, from, to, bytes, type)
        self.partition: list[set[str]] | None = None
        self.submitted: list[str] = []
        self.censored_prefix = "tx-c"  # what a censoring replica leaves out
        self.verifier = Verifier(CHANNEL, self.committee, SimKeys(self.ids[0], self._secrets))

    # ----- replicas -----

    def _start(self, node_id: str, chain: list[block_pb2.Block], certificates: list[bft_pb2.BftCertificate],
               state: bft_pb2.BftState) -> Replica:
        tip = chain[-1]
        view, run = 0, 0
        if len(chain) > 1:
            view = commit_view(tip, CHANNEL)
            for block in reversed(chain[1:]):
                if commit_view(block, CHANNEL) != view:
                    break
                run += 1
        position = ChainPosition(tip.header, certificates[-1], view, run)
        core = BftCore(node_id, self.committee, CHANNEL, self.config, SimKeys(node_id, self._secrets), admit,
                       position, state, now=self.round * ROUND_S)
        return Replica(node_id, core, chain, certificates, state)

    @property
    def honest(self) -> list[Replica]:
        return [r for r in self.replicas.values() if r.byzantine is None]

    def crash(self, node_id: str) -> None:
        self.replicas[node_id].alive = False

    def restart(self, node_id: str) -> None:
        old = self.replicas[node_id]
        fresh = self._start(node_id, list(old.chain), list(old.certificates), old.state)
        fresh.byzantine = old.byzantine
        self.replicas[node_id] = fresh

    # ----- clients -----

    def submit(self, count: int = 1, to: list[str] | None = None, prefix: str = "tx-") -> list[str]:
        txids = []
        for _ in range(count):
            txid = f"{prefix}{len(self.submitted)}"
            self.submitted.append(txid)
            txids.append(txid)
            for node_id in to or self.ids:
                self._request(self.replicas[node_id], txid)
        return txids

    def _request(self, replica: Replica, txid: str) -> None:
        """A client's request reaching one replica (a censoring one never keeps the censored requests)."""
        if replica.alive and not (replica.byzantine == "censor" and txid.startswith(self.censored_prefix)):
            replica.core.submit(txid, txid.encode())
            self._drain(replica)

    def resubmit_missing(self) -> None:
        """What clients do when no acknowledgement came: send again what is not committed. (Pools are memory
        only, so requests whose every holder crashed before ordering them are gone; nobody was told otherwise.)"""
        committed = {t for r in self.honest for t in self.committed_txids(r)}
        for txid in self.submitted:
            if txid not in committed:
                for replica in self.replicas.values():
                    self._request(replica, txid)

    # ----- the loop -----

    def step(self, chaos: bool = True) -> None:
        self.round += 1
        if chaos:
            self._chaos()
        due = [m for m in self.inflight if m[0] <= self.round]
        self.inflight = [m for m in self.inflight if m[0] > self.round]
        self.rng.shuffle(due)
        for _, sender, to, data, kind in due:
            replica = self.replicas[to]
            if replica.alive and self._connected(sender, to):
                replica.core.receive(sender, kind.FromString(data))
                self._drain(replica)
        for replica in self.replicas.values():
            if replica.alive:
                if replica.fetching > len(replica.chain):
                    self._fetch(replica, replica.fetching)
                replica.core.tick(self.round * ROUND_S)
                self._drain(replica)
        self.check_safety()

    def run(self, rounds: int, chaos: bool = True, submit_every: int = 0) -> None:
        for _ in range(rounds):
            if submit_every and self.round % submit_every == 0:
                self.submit(self.rng.randint(1, 3))
            self.step(chaos)

    def heal(self) -> None:
        self.partition = None
        for node_id, replica in self.replicas.items():
            if not replica.alive:
                self.restart(node_id)

    def _chaos(self) -> None:
        f = self.faults
        for node_id, replica in self.replicas.items():
            if replica.alive and self.rng.random() < f.crash and self._crashable(node_id):
                self.crash(node_id)
            elif not replica.alive and self.rng.random() < f.restart:
                self.restart(node_id)
        if self.partition is None and self.rng.random() < f.partition:
            cut = set(self.rng.sample(self.ids, self.rng.randint(1, len(self.ids) // 2)))
            self.partition = [cut, set(self.ids) - cut]
        elif self.partition is not None and self.rng.random() < f.heal:
            self.partition = None

    def _crashable(self, node_id: str) -> bool:
        """Crash faults count against f together with Byzantine replicas: at most f replicas down or lying."""
        faulty = sum(1 for r in self.replicas.values() if not r.alive or r.byzantine)
        return faulty < self.committee.faulty and self.replicas[node_id].byzantine is None

    def _connected(self, a: str, b: str) -> bool:
        return self.partition is None or any(a in group and b in group for group in self.partition)

    def _drain(self, replica: Replica) -> None:
        core = replica.core
        while core.has_ready():
            ready = core.ready()
            if ready.state is not None:
                replica.state = ready.state  # persisted before anything below leaves
            for committed in ready.committed:
                block = block_pb2.Block()
                block.CopyFrom(committed.block)
                self._append(replica, block, committed.certificate)
            if ready.fetch is not None:
                replica.fetching = max(replica.fetching, ready.fetch)
                self._fetch(replica, ready.fetch)
            for to, message in ready.messages:
                for out_to, out in self._misbehave(replica, to, message):
                    self._send(replica.id, out_to, out)

    def _append(self, replica: Replica, block: block_pb2.Block, certificate: bft_pb2.BftCertificate) -> None:
        if block.header.number != len(replica.chain):
            raise SafetyViolation(f"{replica.id} committed block {block.header.number} at height {len(replica.chain)}")
        if block.header.previous_hash != hashing.header_hash(replica.chain[-1].header):
            raise SafetyViolation(f"{replica.id}: block {block.header.number} does not link to its chain")
        if certificate.phase != bft_pb2.BFT_COMMIT or certificate.block_hash != hashing.header_hash(block.header):
            raise SafetyViolation(f"{replica.id} committed block {block.header.number} without its COMMIT cert")
        self.verifier.certificate(certificate)  # raises if the quorum is not there
        replica.chain.append(block)
        replica.certificates.append(certificate)

    def _fetch(self, replica: Replica, height: int) -> None:
        """Copy committed blocks from any honest replica that has them, as the orderer's Deliver catch-up does
        (it verifies each block's certificate; here the sources are honest chains, checked again by _append)."""
        sources = [r for r in self.honest if r.alive and len(r.chain) > len(replica.chain) and r is not replica]
        if not sources:
            return
        source = max(sources, key=lambda r: len(r.chain))
        while len(replica.chain) < min(height, len(source.chain)):
            number = len(replica.chain)
            block = block_pb2.Block()
            block.CopyFrom(source.chain[number])
            certificate = source.certificates[number]
            self._append(replica, block, certificate)
            replica.core.synced(block, certificate, [e.decode() for e in block.data.envelopes])
            self._drain(replica)

    def _send(self, sender: str, to: str, message: Message) -> None:
        targets = [i for i in self.ids if i != sender] if to == EVERYONE else [to]
        data = message.SerializeToString()
        for target in targets:
            if self.rng.random() < self.faults.loss:
                continue
            copies = 2 if self.rng.random() < self.faults.duplicate else 1
            for _ in range(copies):
                due = self.round + self.rng.randint(0, self.faults.max_delay)
                self.inflight.append((due, sender, target, data, type(message)))

    # ----- Byzantine behaviour: rewrites of an honest core's output -----

    def _misbehave(self, replica: Replica, to: str, message: Message) -> list[tuple[str, Message]]:
        """The orderer's own fault modes (byzantine.py), plus "garbage" (signed votes for random blocks) and
        "smuggle" (a leader's blocks carry an envelope that is no valid request, e.g. a forged copy of a client's
        transaction meant to get its txid marked a duplicate)."""
        mode = replica.byzantine
        if mode is None or mode == "censor":  # a censor's pool never holds the censored requests (see submit)
            return [(to, message)]
        keys = SimKeys(replica.id, self._secrets)
        if mode == "garbage":
            if not isinstance(message, bft_pb2.BftVote):
                return [(to, message)]
            fake = bft_pb2.BftVote()
            fake.CopyFrom(message)
            fake.block_hash = self.rng.randbytes(32)
            fake.signature = keys.sign(vote_statement(fake.phase, CHANNEL, fake.view, fake.height, fake.block_hash))
            return [(to, message), (EVERYONE, fake)]
        if mode == "smuggle":
            return [(to, self._smuggle(keys, message) if isinstance(message, bft_pb2.BftProposal) else message)]
        if replica.misbehaviour is None:
            replica.misbehaviour = Misbehaviour(mode, replica.id, self.ids, CHANNEL, keys.sign, self.rng)
        return replica.misbehaviour.outgoing(to, message)

    @staticmethod
    def _smuggle(keys: SimKeys, proposal: bft_pb2.BftProposal) -> bft_pb2.BftProposal:
        block = block_pb2.Block.FromString(proposal.block)
        block.data.envelopes.insert(0, FORGED)
        block.header.data_hash = hashing.data_hash(block.data.envelopes)
        forged = bft_pb2.BftProposal()
        forged.CopyFrom(proposal)
        forged.block = block.SerializeToString()
        forged.signature = keys.sign(proposal_statement(CHANNEL, proposal.view, block.header.number,
                                                        hashing.header_hash(block.header)))
        return forged

    # ----- checks -----

    def check_safety(self) -> None:
        """No two honest replicas hold different blocks at one height (Byzantine chains are not judged)."""
        longest: list[bytes] = []
        for replica in self.honest:
            hashes = [hashing.header_hash(b.header) for b in replica.chain]
            for height, digest in enumerate(hashes[:len(longest)]):
                if longest[height] != digest:
                    raise SafetyViolation(f"fork at height {height}: {replica.id} differs")
            if len(hashes) > len(longest):
                longest = hashes

    def committed_txids(self, replica: Replica) -> list[str]:
        return [e.decode() for b in replica.chain[1:] for e in b.data.envelopes]

    def converged(self, txids: list[str] | None = None) -> bool:
        live = [r for r in self.honest if r.alive]
        heights = {len(r.chain) for r in live}
        if len(heights) != 1:
            return False
        wanted = set(self.submitted if txids is None else txids)
        return all(wanted <= set(self.committed_txids(r)) for r in live)

    def run_until(self, done: Callable[[], bool], rounds: int, submit_every: int = 0) -> bool:
        for _ in range(rounds):
            if done():
                return True
            if submit_every and self.round % submit_every == 0:
                self.submit(1)
            self.step(chaos=False)
        return done()
