"""A peer's Prometheus series: chain height, committed blocks and transactions by validation code, and one latency
histogram per stage of the transaction path the peer runs (endorse, chaincode execute, order as the gateway waits
for it, validate, commit). docs/metrics.md says what each stage's clock covers."""

from __future__ import annotations

from collections.abc import Callable

from gridledger.common.metrics import NodeRegistry


class PeerMetrics:
    """`height` is read at scrape time. A PeerMetrics built without `process` is not served anywhere: that is what
    the endorser and gateway get when a test builds them alone."""

    def __init__(self, height: Callable[[], float] = lambda: 0, process: bool = False) -> None:
        self.node = NodeRegistry(process)
        self.node.gauge("gridledger_peer_height", "Blocks in this peer's ledger", function=height)
        self.blocks = self.node.counter("gridledger_peer_blocks_committed", "Blocks committed")
        self.transactions = self.node.counter("gridledger_peer_transactions",
                                              "Committed transactions by validation code", ("code",))
        self.endorse = self.node.histogram(
            "gridledger_peer_endorse_duration_seconds",
            "Time to endorse one proposal: open and authenticate it, simulate the chaincode, sign")
        self.chaincode_execute = self.node.histogram(
            "gridledger_peer_chaincode_execute_duration_seconds",
            "Time to simulate one proposal's invocation on a snapshot, by chaincode", ("chaincode",))
        self.order = self.node.histogram(
            "gridledger_peer_order_duration_seconds",
            "Time from the gateway handing a transaction to the orderers until they answer it")
        self.validate = self.node.histogram("gridledger_peer_block_validate_duration_seconds",
                                            "Time to validate one block's transactions")
        self.commit = self.node.histogram("gridledger_peer_block_commit_duration_seconds",
                                          "Time to write one validated block and its state to the ledger")
