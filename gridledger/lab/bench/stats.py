"""Round results from the workers' transaction records, with Caliper's definitions:

- send rate is (succeeded + failed) / (last submit - first submit);
- throughput counts every completed transaction, failed ones included, over the span from the first submit to the
  last completion (Caliper's "Throughput (TPS)"); goodput counts only VALID ones over the same span;
- latency percentiles are over VALID transactions (Caliper reports latency of successful ones); failures are
  counted by validation code (ordered, then rejected by validation) and by error kind (rejected before ordering).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from gridledger.v1 import block_pb2

Record = tuple[float, float, str]  # (start relative to round start, latency seconds, outcome)
VALIDATION_CODES = frozenset(block_pb2.ValidationCode.keys())
BUCKET = 1.0  # seconds per point of the time series


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (NaN when empty)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def latency_summary(latencies_s: Sequence[float]) -> dict[str, float]:
    ordered = sorted(latencies_s)
    if not ordered:
        return {key: math.nan for key in ("min", "p50", "p95", "p99", "max", "mean")}
    return {"min": ordered[0] * 1e3, "p50": percentile(ordered, 0.5) * 1e3, "p95": percentile(ordered, 0.95) * 1e3,
            "p99": percentile(ordered, 0.99) * 1e3, "max": ordered[-1] * 1e3,
            "mean": sum(ordered) / len(ordered) * 1e3}


def summarize(records: Sequence[Record]) -> dict[str, object]:
    """Counts, rates and latencies of one round (see the module docstring for the definitions)."""
    outcomes = Counter(outcome for _, _, outcome in records)
    succeeded = outcomes.get("VALID", 0)
    by_code = {k: v for k, v in sorted(outcomes.items()) if k != "VALID" and k in VALIDATION_CODES}
    by_error = {k: v for k, v in sorted(outcomes.items()) if k not in VALIDATION_CODES}
    first = min((s for s, _, _ in records), default=0.0)
    span = max((s + lat for s, lat, _ in records), default=0.0) - first
    sending = max((s for s, _, _ in records), default=0.0) - first
    return {
        "submitted": len(records),
        "succeeded": succeeded,
        "failed": len(records) - succeeded,
        "failed_by_validation_code": by_code,
        "failed_by_error": by_error,
        "achieved_send_rate_tps": len(records) / sending if sending else 0.0,
        "throughput_tps": len(records) / span if span else 0.0,
        "goodput_tps": succeeded / span if span else 0.0,
        "latency_ms": latency_summary([lat for _, lat, outcome in records if outcome == "VALID"]),
    }


def timeseries(records: Sequence[Record]) -> dict[str, list[float]]:
    """Per second of the round: transactions sent, completed (any outcome), VALID, and median VALID latency (ms)
    of those completing in that second."""
    if not records:
        return {"t": [], "sent": [], "completed": [], "valid": [], "p50_ms": []}
    buckets = int(max(s + lat for s, lat, _ in records) // BUCKET) + 1
    sent, completed, valid = [0.0] * buckets, [0.0] * buckets, [0.0] * buckets
    latencies: list[list[float]] = [[] for _ in range(buckets)]
    for start, latency, outcome in records:
        sent[max(0, int(start // BUCKET))] += 1
        end = max(0, int((start + latency) // BUCKET))
        completed[end] += 1
        if outcome == "VALID":
            valid[end] += 1
            latencies[end].append(latency * 1e3)
    return {"t": [i * BUCKET for i in range(buckets)], "sent": [v / BUCKET for v in sent],
            "completed": [v / BUCKET for v in completed], "valid": [v / BUCKET for v in valid],
            "p50_ms": [percentile(sorted(values), 0.5) for values in latencies]}
