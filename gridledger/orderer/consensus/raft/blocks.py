"""Blocks as raft log entries: where the chain ends in a log or a snapshot.

The leader builds each block on top of the last block in its own raft log, not on its stored chain: blocks it
proposed a moment ago are not committed yet, but they will be, in log order, because a leader never overwrites
its log. Log matching then makes every block entry on every node extend the one before it, so a committed entry
always extends the chain that applying the entries before it produced.

The leader builds the block with the orderer's BlockWriter (`build` on this tip); the consenter metadata
(RaftBlockMetadata, covered by the leader's signature) records the raft index and term the block was proposed at.
"""

from __future__ import annotations

from gridledger.orderer.chain import ChainTip
from gridledger.orderer.consensus.raft.log import RaftLog
from gridledger.v1 import block_pb2, raft_pb2


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
