"""The ordering service: broadcast and deliver, the block cutter, the block writer, the orderer's copy of the chain
and the consensus plugins under orderer/consensus/ (solo, raft and bft, behind one `Consenter` interface).
"""
