"""Prometheus text exposition of a peer's counters."""

from __future__ import annotations


def peer_metrics(ledger, committer) -> str:
    stats = committer.stats
    lines = [
        "# TYPE gridledger_peer_height gauge",
        f"gridledger_peer_height {ledger.height}",
        "# TYPE gridledger_peer_blocks_committed_total counter",
        f"gridledger_peer_blocks_committed_total {stats['blocks']}",
        "# TYPE gridledger_peer_transactions_total counter",
    ]
    lines += [f'gridledger_peer_transactions_total{{code="{code}"}} {count}'
              for code, count in sorted(stats["transactions"].items())]
    lines += [
        "# TYPE gridledger_peer_validate_seconds_total counter",
        f"gridledger_peer_validate_seconds_total {stats['validate_seconds']:.6f}",
        "# TYPE gridledger_peer_commit_seconds_total counter",
        f"gridledger_peer_commit_seconds_total {stats['commit_seconds']:.6f}",
    ]
    return "\n".join(lines) + "\n"
