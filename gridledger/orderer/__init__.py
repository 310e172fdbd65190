"""The ordering service: broadcast and deliver, the block cutter, the orderer's copy of the chain and the consensus
plugins (solo now; raft and bft implement the same `consensus.Consenter` interface).
"""
