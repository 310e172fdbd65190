"""What a replica accepts as a proposed block, and how a leader builds one (docs/bft.md, "Normal case").

Pure functions the core (core.py) calls with its own state: the block's contents against the batch limits and the
consenter metadata (`check_block`), and whether the proposal's justification lets a replica vote for it
(`check_justified`). Either raises `Rejected`, which the core counts; nothing here changes state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gridledger.common import hashing
from gridledger.orderer.consensus.bft.certs import Rejected
from gridledger.orderer.consensus.bft.statements import COMMIT, PREPARE, Rank, metadata
from gridledger.orderer.cutter import BatchLimits
from gridledger.v1 import bft_pb2, block_pb2


@dataclass(frozen=True)
class Tip:
    """What the core knows when it judges a justification: its committed tip, the view the chain alone puts it
    in, and the highest certificate it is locked on."""

    number: int
    block_hash: bytes
    chain_view: int
    high: bft_pb2.BftCertificate


def parse_block(data: bytes) -> block_pb2.Block:
    try:
        return block_pb2.Block.FromString(data)
    except Exception as exc:  # DecodeError and friends
        raise Rejected("malformed block", str(exc)[:100]) from None


def new_block(number: int, previous_hash: bytes, envelopes: list[bytes]) -> block_pb2.Block:
    block = block_pb2.Block()
    block.header.number = number
    block.header.previous_hash = previous_hash
    block.header.data_hash = hashing.data_hash(envelopes)
    block.data.envelopes.extend(envelopes)
    return block


def check_block(block: block_pb2.Block, view: int, channel: str, limits: BatchLimits,
                txid_of: Callable[[bytes], str | None]) -> list[str]:
    """Data hash, metadata and batch limits of a proposed block, and every envelope a valid request (`txid_of`
    answers None for one that is not); returns the txids in block order."""
    header, envelopes = block.header, block.data.envelopes
    if block.metadata.signatures:
        raise Rejected("proposed block carries signatures")
    if block.metadata.consenter_metadata != metadata(COMMIT, channel, view, header.number):
        raise Rejected("proposed block has wrong consenter metadata", f"height {header.number}")
    if hashing.data_hash(envelopes) != header.data_hash:
        raise Rejected("proposed block's data hash does not match", f"height {header.number}")
    if not envelopes or len(envelopes) > limits.max_message_count:
        raise Rejected("proposed block size outside the batch limits", f"{len(envelopes)} envelopes")
    total = sum(len(e) for e in envelopes)
    if any(len(e) > limits.absolute_max_bytes for e in envelopes) or (
            len(envelopes) > 1 and total > limits.preferred_max_bytes):
        raise Rejected("proposed block size outside the batch limits", f"{total} bytes")
    txids = []
    for envelope in envelopes:
        txid = txid_of(envelope)
        if txid is None:
            raise Rejected("proposed block holds an invalid envelope", f"height {header.number}")
        txids.append(txid)
    if len(set(txids)) != len(txids):
        raise Rejected("proposed block repeats a transaction", f"height {header.number}")
    return txids


def check_justified(view: int, justify: bft_pb2.BftCertificate, block: block_pb2.Block, block_hash: bytes,
                    tc_rank: Rank | None, justify_rank: Rank, tip: Tip) -> None:
    """The justification part of the PREPARE vote rule, for a block right after the committed tip. After a view
    change (`tc_rank` given) the proposal must carry a certificate at least as high as every timeout's and extend
    it; without one it must extend the tip's COMMIT certificate in the view the chain reached, and not move off a
    block this replica is locked on."""
    height = block.header.number
    if tc_rank is not None:
        if justify_rank < tc_rank:
            raise Rejected("justify ranks below the timeout certificate", f"{justify_rank} < {tc_rank}")
        if justify.phase == PREPARE and justify.height != 0:
            if (justify.height, justify.block_hash) != (height, block_hash):
                raise Rejected("proposal is not the block its PREPARE certificate names", f"height {height}")
        elif justify.height + 1 != height or (justify.height and justify.block_hash != block.header.previous_hash):
            raise Rejected("proposal does not extend its COMMIT certificate", f"height {height}")
        return
    if justify.phase != COMMIT and justify.height != 0:
        raise Rejected("proposal without timeouts must extend a COMMIT certificate")
    if justify.height != tip.number or (justify.height and justify.block_hash != tip.block_hash):
        raise Rejected("justify is not the committed tip", f"height {justify.height}")
    if tip.chain_view != view:
        raise Rejected("proposal without timeouts in a view the chain has not reached", f"view {view}")
    high = Rank.of(tip.high)
    if high > justify_rank and (tip.high.height, tip.high.block_hash) != (height, block_hash):
        raise Rejected("locked on another block", f"high certificate {high}")
