"""The BFT parts on their own: quorum checks of certificates, the request pool, payload decoding, the state file."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.orderer.consensus.bft.certs import Committee, Rejected, Verifier, VoteCollector
from gridledger.orderer.consensus.bft.messages import decode
from gridledger.orderer.consensus.bft.pool import RequestPool
from gridledger.orderer.consensus.bft.statements import COMMIT, PREPARE, Rank, timeout_statement, vote_statement
from gridledger.orderer.consensus.bft.storage import BftStorage, BftStorageError
from gridledger.orderer.consensus.transport import BadPayload
from gridledger.orderer.cutter import BatchLimits
from gridledger.orderer.faults import FaultConfigError, fault_from_environment
from gridledger.v1 import bft_pb2
from tests.orderer.bft.sim import CHANNEL, SimKeys

IDS = ("o0", "o1", "o2", "o3")
SECRETS = {i: i.encode() * 8 for i in IDS}
BLOCK = b"\x07" * 32


def _vote(signer: str, phase: int = COMMIT, view: int = 2, height: int = 5) -> bft_pb2.BftVote:
    keys = SimKeys(signer, {**SECRETS, "intruder": b"not a consenter"})
    signature = keys.sign(vote_statement(phase, CHANNEL, view, height, BLOCK))
    return bft_pb2.BftVote(phase=phase, view=view, height=height, block_hash=BLOCK, signature=signature)


def _certificate(signers: list[str], phase: int = COMMIT, signed_as: int | None = None) -> bft_pb2.BftCertificate:
    votes = [_vote(s, signed_as or phase) for s in signers]
    return bft_pb2.BftCertificate(phase=phase, view=2, height=5, block_hash=BLOCK, signatures=[
        bft_pb2.BftSignature(signer=s, signature=v.signature) for s, v in zip(signers, votes, strict=True)])


@pytest.fixture
def verifier() -> Verifier:
    return Verifier(CHANNEL, Committee(IDS), SimKeys("o0", SECRETS))


def test_a_certificate_needs_2f_plus_1_distinct_valid_signers(verifier: Verifier) -> None:
    assert verifier.certificate(_certificate(["o0", "o1", "o2"])) == Rank(5, COMMIT, 2)
    with pytest.raises(Rejected, match="2 valid signature"):
        verifier.certificate(_certificate(["o0", "o1", "o1"]))  # a signer counts once
    with pytest.raises(Rejected, match="2 valid signature"):
        verifier.certificate(_certificate(["o0", "o1", "intruder"]))
    with pytest.raises(Rejected, match="0 valid signature"):
        verifier.certificate(_certificate(["o0", "o1", "o2"], COMMIT, signed_as=PREPARE))  # other phase
    assert verifier.certificate(bft_pb2.BftCertificate()) == Rank(0, COMMIT, 0)  # the genesis block
    with pytest.raises(Rejected, match="genesis"):
        verifier.certificate(bft_pb2.BftCertificate(signatures=[bft_pb2.BftSignature(signer="o0")]))


def test_votes_become_one_certificate_at_the_quorum(verifier: Verifier) -> None:
    collector = VoteCollector(Committee(IDS).quorum)
    assert collector.add("o0", _vote("o0")) is None
    assert collector.add("o0", _vote("o0")) is None  # a repeated vote is not a second one
    assert collector.add("o1", _vote("o1")) is None
    certificate = collector.add("o2", _vote("o2"))
    assert certificate is not None and verifier.certificate(certificate) == Rank(5, COMMIT, 2)
    assert collector.add("o3", _vote("o3")) is None  # reported once
    with pytest.raises(Rejected, match="bad vote signature"):
        verifier.vote("o1", _vote("o2"))


def test_a_timeout_certificate_reports_its_highest_rank(verifier: Verifier) -> None:
    ranks = {"o0": Rank(3, PREPARE, 1), "o1": Rank(4, PREPARE, 2), "o2": Rank(4, COMMIT, 1)}
    tc = bft_pb2.BftTimeoutCertificate(view=6, timeouts=[
        bft_pb2.BftSignedTimeout(signer=s, rank=r.to_proto(),
                                 signature=SimKeys(s, SECRETS).sign(timeout_statement(CHANNEL, 6, r)))
        for s, r in ranks.items()])
    assert verifier.timeout_certificate(tc) == Rank(4, COMMIT, 1)
    tc.timeouts[0].rank.height = 9  # a rank that was not what o0 signed
    with pytest.raises(Rejected, match="2 valid timeout"):
        verifier.timeout_certificate(tc)


def test_the_pool_deduplicates_refuses_committed_requests_and_cuts_by_the_rules() -> None:
    limits = BatchLimits(max_message_count=3, preferred_max_bytes=100, absolute_max_bytes=1000, batch_timeout_ms=10)
    pool = RequestPool(limits, capacity=5)
    assert pool.add("a", b"a" * 10, 0.0) and not pool.add("a", b"y", 0.0)
    for txid in "bcd":
        pool.add(txid, txid.encode() * 10, 1.0)
    assert pool.next_batch() == ([b"a" * 10, b"b" * 10, b"c" * 10], ["a", "b", "c"])
    pool.committed(["a", "b"])
    assert not pool.add("a", b"a" * 10, 2.0), "a committed txid is not ordered again"
    assert pool.txid_of(b"c" * 10) == "c" and pool.txid_of(b"a" * 10) is None
    pool.add("big", b"z" * 200, 3.0)  # larger than preferred_max_bytes: a batch on its own
    assert pool.next_batch() == ([b"c" * 10, b"d" * 10], ["c", "d"])
    pool.committed(["c", "d"])
    assert pool.next_batch() == ([b"z" * 200], ["big"])


def test_payloads_are_checked_before_the_core_sees_them() -> None:
    with pytest.raises(BadPayload, match="unknown cluster message kind"):
        decode("gridledger.v1.RaftAppendEntries", b"")
    with pytest.raises(BadPayload, match=r"not a valid gridledger\.v1\.BftVote"):
        decode("gridledger.v1.BftVote", b"\xff\xff\xff")
    huge = bft_pb2.BftTimeout(high=bft_pb2.BftCertificate(signatures=[bft_pb2.BftSignature()] * 2000))
    with pytest.raises(BadPayload, match="2000 signatures"):
        decode("gridledger.v1.BftTimeout", huge.SerializeToString())
    assert decode("gridledger.v1.BftVote", _vote("o1").SerializeToString()) == _vote("o1")


def test_the_state_file_round_trips_and_refuses_corruption(tmp_path: Path) -> None:
    storage = BftStorage(tmp_path / "bft")
    assert storage.load() == bft_pb2.BftState()
    state = bft_pb2.BftState(view=7, vote_from_view=7, prepared_view=6, prepared_height=12, high=_certificate(IDS[:3]))
    storage.save(state)
    assert BftStorage(tmp_path / "bft").load() == state
    (tmp_path / "bft" / "state.pb").write_bytes(b"\xff" * 10)
    with pytest.raises(BftStorageError, match="disk corruption"):
        storage.load()


def test_fault_modes_need_the_explicit_permission() -> None:
    assert fault_from_environment({}) is None
    with pytest.raises(FaultConfigError, match="GRIDLEDGER_ALLOW_FAULTS=1"):
        fault_from_environment({"GRIDLEDGER_BFT_FAULT": "mute"})
    with pytest.raises(FaultConfigError, match="unknown"):
        fault_from_environment({"GRIDLEDGER_BFT_FAULT": "lie", "GRIDLEDGER_ALLOW_FAULTS": "1"})
    with pytest.raises(FaultConfigError, match="censor:Org2MSP"):
        fault_from_environment({"GRIDLEDGER_BFT_FAULT": "censor", "GRIDLEDGER_ALLOW_FAULTS": "1"})
    fault = fault_from_environment({"GRIDLEDGER_BFT_FAULT": "censor:Org1MSP", "GRIDLEDGER_ALLOW_FAULTS": "1"})
    assert fault is not None and (fault.mode, fault.argument) == ("censor", "Org1MSP")
