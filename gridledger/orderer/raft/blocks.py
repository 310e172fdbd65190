"""Blocks as raft log entries: how the leader builds them, and where the chain ends in a log or a snapshot.

The leader builds each block on top of the last block in its own raft log, not on its stored chain: blocks it
proposed a moment ago are not committed yet, but they will be, in log order, because a leader never overwrites
its log. Log matching then makes every block entry on every node extend the one before it, so a committed entry
always extends the chain that applying the entries before it produced.

The header and data hash follow BlockWriter (blockwriter.py) exactly; the consenter metadata (RaftBlockMetadata,
covered by the leader's signature) records the raft index and term the block was proposed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gridledger.common import blockverify, hashing
from gridledger.common.msp import SigningIdentity
from gridledger.orderer.blockwriter import LAST_CONFIG
from gridledger.orderer.raft.log import RaftLog
from gridledger.v1 import block_pb2, raft_pb2


@dataclass(frozen=True)
class ChainTip:
    """The last block of a chain: its number and header hash (all a next block needs)."""

    number: int
    hash: bytes

    @property
    def height(self) -> int:
        return self.number + 1

    @classmethod
    def of(cls, header: block_pb2.BlockHeader) -> ChainTip:
        return cls(header.number, hashing.header_hash(header))


def build_block(previous: ChainTip, envelopes: Sequence[bytes], metadata: raft_pb2.RaftBlockMetadata,
                identity: SigningIdentity) -> block_pb2.Block:
    """The next block after `previous`, signed by the leader over its header hash and the raft metadata."""
    block = block_pb2.Block()
    block.header.number = previous.number + 1
    block.header.previous_hash = previous.hash
    block.header.data_hash = hashing.data_hash(envelopes)
    block.data.envelopes.extend(envelopes)
    block.metadata.consenter_metadata = metadata.SerializeToString()
    block.metadata.last_config = LAST_CONFIG
    blockverify.sign_block(block, identity)
    return block


def snapshot_data(tip: ChainTip) -> bytes:
    return raft_pb2.RaftSnapshotData(height=tip.height, tip_hash=tip.hash).SerializeToString()


def snapshot_tip(snapshot: raft_pb2.RaftSnapshot) -> ChainTip:
    data = raft_pb2.RaftSnapshotData.FromString(snapshot.data)
    if data.height == 0 or len(data.tip_hash) != 32:
        raise ValueError(f"raft snapshot at {snapshot.index} does not describe a chain (height {data.height})")
    return ChainTip(data.height - 1, data.tip_hash)


def entry_header(entry: raft_pb2.RaftEntry) -> block_pb2.BlockHeader:
    return block_pb2.Block.FromString(entry.data).header


def log_tip(log: RaftLog, snapshot: raft_pb2.RaftSnapshot | None, genesis: block_pb2.BlockHeader) -> ChainTip:
    """Where the chain ends once everything in `log` is committed: the newest block entry, else the snapshot's
    chain, else the genesis block."""
    for index in range(log.last_index, log.offset_index, -1):
        entry = log.entry(index)
        if entry.type == raft_pb2.RAFT_ENTRY_BLOCK:
            return ChainTip.of(entry_header(entry))
    if snapshot is not None:
        return snapshot_tip(snapshot)
    return ChainTip.of(genesis)
