"""The proposal rules on their own (bft/proposals.py): what a block must hold, and what must justify it."""

from __future__ import annotations

import pytest

from gridledger.common import hashing
from gridledger.orderer.consensus.bft.certs import Rejected
from gridledger.orderer.consensus.bft.proposals import Tip, check_block, check_justified, new_block, parse_block
from gridledger.orderer.consensus.bft.statements import COMMIT, PREPARE, Rank, metadata
from gridledger.orderer.cutter import BatchLimits
from gridledger.v1 import bft_pb2

CHANNEL = "energy"
LIMITS = BatchLimits(max_message_count=3, preferred_max_bytes=100, absolute_max_bytes=60, batch_timeout_ms=50)
TIP_HASH = b"\x01" * 32


def _txid(envelope: bytes) -> str | None:
    return None if envelope.startswith(b"bad") else envelope.decode()


def _proposed(envelopes: list[bytes], view: int = 4, number: int = 8):
    block = new_block(number, TIP_HASH, envelopes)
    block.metadata.consenter_metadata = metadata(COMMIT, CHANNEL, view, number)
    return block


def test_a_well_formed_block_yields_its_txids_in_order() -> None:
    assert check_block(_proposed([b"t1", b"t2"]), 4, CHANNEL, LIMITS, _txid) == ["t1", "t2"]


@pytest.mark.parametrize(("change", "reason"), [
    (lambda b: b.metadata.signatures.add(), "proposed block carries signatures"),
    (lambda b: setattr(b.metadata, "consenter_metadata", metadata(COMMIT, CHANNEL, 5, 8)),
     "proposed block has wrong consenter metadata"),
    (lambda b: b.data.envelopes.append(b"t9"), "proposed block's data hash does not match"),
])
def test_a_tampered_block_is_refused(change, reason: str) -> None:
    block = _proposed([b"t1"])
    change(block)
    with pytest.raises(Rejected) as refused:
        check_block(block, 4, CHANNEL, LIMITS, _txid)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("envelopes", "reason"), [
    ([], "proposed block size outside the batch limits"),
    ([b"a", b"b", b"c", b"d"], "proposed block size outside the batch limits"),
    ([b"x" * 61], "proposed block size outside the batch limits"),
    ([b"x" * 55, b"y" * 55], "proposed block size outside the batch limits"),
    ([b"t1", b"bad"], "proposed block holds an invalid envelope"),
    ([b"t1", b"t1"], "proposed block repeats a transaction"),
])
def test_contents_outside_the_rules_are_refused(envelopes: list[bytes], reason: str) -> None:
    with pytest.raises(Rejected) as refused:
        check_block(_proposed(envelopes), 4, CHANNEL, LIMITS, _txid)
    assert refused.value.reason == reason


def test_one_envelope_may_exceed_the_preferred_size_alone() -> None:
    assert check_block(_proposed([b"x" * 60]), 4, CHANNEL, LIMITS, _txid) == ["x" * 60]


def test_malformed_bytes_are_a_rejection_not_a_crash() -> None:
    with pytest.raises(Rejected) as refused:
        parse_block(b"\xff\xff\xff")
    assert refused.value.reason == "malformed block"


def _certificate(phase: int, view: int, height: int, block_hash: bytes) -> bft_pb2.BftCertificate:
    return bft_pb2.BftCertificate(phase=phase, view=view, height=height, block_hash=block_hash)


def test_without_timeouts_the_proposal_extends_the_tips_commit_certificate() -> None:
    block = _proposed([b"t1"])
    block_hash = hashing.header_hash(block.header)
    tip_cert = _certificate(COMMIT, 3, 7, TIP_HASH)
    tip = Tip(7, TIP_HASH, chain_view=4, high=tip_cert)
    check_justified(4, tip_cert, block, block_hash, None, Rank.of(tip_cert), tip)
    with pytest.raises(Rejected, match="justify is not the committed tip"):
        other = _certificate(COMMIT, 3, 7, b"\x02" * 32)
        check_justified(4, other, block, block_hash, None, Rank.of(other), tip)
    with pytest.raises(Rejected, match="view the chain has not reached"):
        check_justified(5, tip_cert, block, block_hash, None, Rank.of(tip_cert), tip)


def test_a_replica_locked_on_another_block_does_not_move_without_a_view_change() -> None:
    block = _proposed([b"t1"])
    block_hash = hashing.header_hash(block.header)
    tip_cert = _certificate(COMMIT, 3, 7, TIP_HASH)
    locked = _certificate(PREPARE, 4, 8, b"\x03" * 32)
    with pytest.raises(Rejected, match="locked on another block"):
        check_justified(4, tip_cert, block, block_hash, None, Rank.of(tip_cert), Tip(7, TIP_HASH, 4, locked))
    same = _certificate(PREPARE, 4, 8, block_hash)
    check_justified(4, tip_cert, block, block_hash, None, Rank.of(tip_cert), Tip(7, TIP_HASH, 4, same))


def test_after_a_view_change_the_justification_ranks_at_least_as_high_as_every_timeout() -> None:
    block = _proposed([b"t1"], view=6)
    block_hash = hashing.header_hash(block.header)
    tip = Tip(7, TIP_HASH, chain_view=4, high=_certificate(COMMIT, 3, 7, TIP_HASH))
    prepared = _certificate(PREPARE, 5, 8, block_hash)
    check_justified(6, prepared, block, block_hash, Rank.of(prepared), Rank.of(prepared), tip)
    with pytest.raises(Rejected, match="ranks below the timeout certificate"):
        check_justified(6, prepared, block, block_hash, Rank(8, PREPARE, 6), Rank.of(prepared), tip)
    elsewhere = _certificate(PREPARE, 5, 8, b"\x04" * 32)
    with pytest.raises(Rejected, match="not the block its PREPARE certificate names"):
        check_justified(6, elsewhere, block, block_hash, Rank.of(elsewhere), Rank.of(elsewhere), tip)
    behind = _certificate(COMMIT, 3, 6, b"\x05" * 32)
    with pytest.raises(Rejected, match="does not extend its COMMIT certificate"):
        check_justified(6, behind, block, block_hash, Rank.of(behind), Rank.of(behind), tip)
