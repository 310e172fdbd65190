"""Consensus plugins: the interface every plugin implements (plugin.py), the registry that picks one by the channel
config's `consensus.type` (registry.py), one folder per plugin (solo, raft, bft), and what raft and bft share:
transport.py (the Cluster service) and catchup.py (blocks from other orderers' Deliver).

A plugin orders envelopes and turns batches into blocks only through the `ConsenterSupport` it is given: the block
cutter's limits, the orderer's identity and TLS, the chain, and the BlockWriter that builds, signs, stores and
counts blocks. The orderer imports the registry; nothing outside a plugin's folder imports the plugin.
"""

from gridledger.orderer.consensus.plugin import (
    Consenter,
    ConsenterSupport,
    NotLeader,
    ReportsStatus,
    ServesCluster,
    ServiceUnavailable,
)

__all__ = ["Consenter", "ConsenterSupport", "NotLeader", "ReportsStatus", "ServesCluster", "ServiceUnavailable"]
