"""Raft ordering: crash-fault-tolerant consensus among the channel's consenters (see consenter.py)."""

from gridledger.orderer.consensus.raft.consenter import RaftConsenter

__all__ = ["RaftConsenter"]
