"""A peer's Prometheus series: chain height, committed blocks and transactions by validation code, and the time
spent validating and committing (from which per-block latency follows)."""

from __future__ import annotations

from gridledger.common.metrics import Registry


class PeerMetrics:
    def __init__(self, height) -> None:
        self.registry = Registry()
        self.registry.gauge("gridledger_peer_height", "Blocks in this peer's ledger", function=height)
        self.blocks = self.registry.counter("gridledger_peer_blocks_committed_total", "Blocks committed")
        self.transactions = self.registry.counter("gridledger_peer_transactions_total",
                                                  "Committed transactions by validation code", ("code",))
        self.validate_seconds = self.registry.counter("gridledger_peer_validate_seconds_total",
                                                      "Time spent validating blocks")
        self.commit_seconds = self.registry.counter("gridledger_peer_commit_seconds_total",
                                                    "Time spent writing blocks to the ledger")

    def render(self) -> str:
        return self.registry.render()
