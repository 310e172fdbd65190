"""Quorum arithmetic, signature checks of certificates, and the aggregators that turn votes into certificates.

Everything a replica receives is checked here before the core acts on it (HotStuff's `verify(&committee)` per
message type, gathered in one place): known and distinct signers, valid signatures over the statement of the right
phase, view and height, a quorum of 2f+1. Certificates already verified once are remembered (statement and
signatures), so a certificate that comes back in a proposal or a timeout costs no second round of signature checks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gridledger.common.blockverify import bft_quorum
from gridledger.orderer.consensus.bft.statements import (
    COMMIT,
    GENESIS_RANK,
    PREPARE,
    Rank,
    timeout_statement,
    vote_statement,
)
from gridledger.v1 import bft_pb2


class Rejected(ValueError):
    """A message that must not change the state; `reason` is a short label for the metrics."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Keys(Protocol):
    """Signing for this replica and verification of every consenter's signatures (Ed25519 in the orderer,
    anything with the same contract in a simulation)."""

    def sign(self, message: bytes) -> bytes:
        ...

    def verify(self, signer: str, message: bytes, signature: bytes) -> bool:
        ...


@dataclass(frozen=True)
class Committee:
    """The consenters in config order: who leads which view, and how many make a quorum."""

    members: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.members) < 4 or (len(self.members) - 1) % 3:
            raise ValueError(f"BFT needs 3f+1 consenters (4, 7, 10, ...), got {len(self.members)}")
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"consenter ids must be distinct, got {list(self.members)}")

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def faulty(self) -> int:
        return (self.size - 1) // 3

    @property
    def quorum(self) -> int:
        return bft_quorum(self.size)

    def leader(self, view: int) -> str:
        return self.members[view % self.size]


def certificate_key(certificate: bft_pb2.BftCertificate) -> tuple:
    """A certificate's identity for the cache: its statement and its exact signatures (a copy of a valid
    certificate with other signatures is checked again: its signatures may end up on a stored block)."""
    return (certificate.phase, certificate.view, certificate.height, certificate.block_hash,
            tuple((s.signer, s.signature) for s in certificate.signatures))


class Verifier:
    """Checks certificates and timeout certificates of one channel; remembers the certificates it accepted."""

    def __init__(self, channel: str, committee: Committee, keys: Keys) -> None:
        self.channel = channel
        self.committee = committee
        self._keys = keys
        self._members = set(committee.members)
        self._accepted: set[tuple] = set()

    def vote(self, signer: str, vote: bft_pb2.BftVote) -> None:
        if vote.phase not in (PREPARE, COMMIT) or vote.height == 0 or len(vote.block_hash) != 32:
            raise Rejected("malformed vote", f"phase {vote.phase}, height {vote.height}")
        statement = vote_statement(vote.phase, self.channel, vote.view, vote.height, vote.block_hash)
        if not self._keys.verify(signer, statement, vote.signature):
            raise Rejected("bad vote signature", f"from {signer} for view {vote.view}, height {vote.height}")

    def certificate(self, certificate: bft_pb2.BftCertificate) -> Rank:
        """The certificate's rank once it holds a quorum of valid signatures (the empty one is the genesis)."""
        if certificate.height == 0:
            if certificate.signatures or certificate.block_hash:
                raise Rejected("malformed certificate", "height 0 stands for the genesis block and carries nothing")
            return GENESIS_RANK
        key = certificate_key(certificate)
        if key in self._accepted:
            return Rank.of(certificate)
        if certificate.phase not in (PREPARE, COMMIT) or len(certificate.block_hash) != 32:
            raise Rejected("malformed certificate", f"phase {certificate.phase}")
        statement = vote_statement(certificate.phase, self.channel, certificate.view, certificate.height,
                                   certificate.block_hash)
        signers = self._signers([(s.signer, s.signature) for s in certificate.signatures], lambda _: statement)
        if len(signers) < self.committee.quorum:
            raise Rejected("certificate without quorum", f"{len(signers)} valid signature(s) of "
                           f"{self.committee.quorum} for height {certificate.height}, view {certificate.view}")
        self._accepted.add(key)
        return Rank.of(certificate)

    def timeout(self, signer: str, timeout: bft_pb2.BftTimeout) -> Rank:
        """The rank a timeout carries, once its signature and its high certificate are valid."""
        rank = self.certificate(timeout.high)
        if not self._keys.verify(signer, timeout_statement(self.channel, timeout.view, rank), timeout.signature):
            raise Rejected("bad timeout signature", f"from {signer} for view {timeout.view}")
        return rank

    def timeout_certificate(self, tc: bft_pb2.BftTimeoutCertificate) -> Rank:
        """The highest rank in a timeout certificate with a quorum of valid timeouts of its view."""
        entries = [(t.signer, t.signature) for t in tc.timeouts]
        ranks = {t.signer: Rank.from_proto(t.rank) for t in tc.timeouts}
        signers = self._signers(entries, lambda s: timeout_statement(self.channel, tc.view, ranks[s]))
        if len(signers) < self.committee.quorum:
            raise Rejected("timeout certificate without quorum",
                           f"{len(signers)} valid timeout(s) of {self.committee.quorum} for view {tc.view}")
        return max(ranks[s] for s in signers)

    def _signers(self, entries: Sequence[tuple[str, bytes]], statement) -> set[str]:
        signers: set[str] = set()
        for signer, signature in entries:
            if signer not in self._members or signer in signers:
                continue
            if self._keys.verify(signer, statement(signer), signature):
                signers.add(signer)
        return signers


@dataclass
class _Tally:
    signatures: dict[str, bytes] = field(default_factory=dict)
    done: bool = False


class VoteCollector:
    """Verified votes, by statement; yields each certificate once, the moment its quorum is reached."""

    def __init__(self, quorum: int) -> None:
        self._quorum = quorum
        self._tallies: dict[tuple[int, int, int, bytes], _Tally] = {}

    def add(self, signer: str, vote: bft_pb2.BftVote) -> bft_pb2.BftCertificate | None:
        key = (vote.phase, vote.view, vote.height, vote.block_hash)
        tally = self._tallies.setdefault(key, _Tally())
        if tally.done or signer in tally.signatures:
            return None
        tally.signatures[signer] = vote.signature
        if len(tally.signatures) < self._quorum:
            return None
        tally.done = True
        return bft_pb2.BftCertificate(
            phase=vote.phase, view=vote.view, height=vote.height, block_hash=vote.block_hash,
            signatures=[bft_pb2.BftSignature(signer=s, signature=sig) for s, sig in sorted(tally.signatures.items())])

    def voters(self, phase: int, view: int, height: int) -> set[str]:
        """Who voted in (phase, view, height), for any block: an equivocation shows as two blocks here."""
        return {s for (p, v, h, _), tally in self._tallies.items() if (p, v, h) == (phase, view, height)
                for s in tally.signatures}

    def prune(self, height: int, view: int) -> None:
        """Forget votes for decided heights and for views that can no longer matter."""
        self._tallies = {key: tally for key, tally in self._tallies.items()
                         if key[2] >= height and (key[1] >= view or key[0] == COMMIT)}


class TimeoutCollector:
    """Verified timeouts per view: counts for amplification, and the certificate plus the highest certificate
    (with its block) the next leader needs."""

    def __init__(self) -> None:
        self._views: dict[int, dict[str, tuple[Rank, bft_pb2.BftTimeout]]] = {}

    def add(self, signer: str, rank: Rank, timeout: bft_pb2.BftTimeout) -> int:
        """Record a timeout; returns how many distinct replicas timed out that view."""
        entries = self._views.setdefault(timeout.view, {})
        entries.setdefault(signer, (rank, timeout))
        return len(entries)

    def count(self, view: int) -> int:
        return len(self._views.get(view, {}))

    def certificate(self, view: int) -> bft_pb2.BftTimeoutCertificate:
        entries = self._views.get(view, {})
        return bft_pb2.BftTimeoutCertificate(view=view, timeouts=[
            bft_pb2.BftSignedTimeout(signer=s, rank=rank.to_proto(), signature=t.signature)
            for s, (rank, t) in sorted(entries.items())])

    def highest(self, view: int) -> bft_pb2.BftTimeout | None:
        """The timeout of `view` with the highest-ranked certificate (ties: the first consenter id)."""
        entries = self._views.get(view, {})
        if not entries:
            return None
        _, (_, best) = max(entries.items(), key=lambda item: (item[1][0], _reverse(item[0])))
        return best

    def prune(self, view: int) -> None:
        self._views = {v: entries for v, entries in self._views.items() if v >= view}


def _reverse(name: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in name)
