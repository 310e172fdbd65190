#!/usr/bin/env python3
"""A memory soak: one network under a steady fixed rate for a long time (an hour by default), cut into rounds of
`gridledger bench` on the same network, and each node's resident memory at the end of every round. A node whose
memory still grows after the warm-up rounds leaks; the verdict is its growth from the end of the warm-up to the
end of the soak, against --limit (10% by default), of the anonymous memory for local processes (file pages, the
ledger's mapped tables among them, grow with the data: `verdict`). Not a test: it takes as long as it is told to.

    python scripts/soak.py --network deploy/networks/default.yaml --rate 100 --minutes 60 --out /tmp/soak

Half of the sustained rate of `gridledger bench --rate-control maximum-rate` is the usual choice of --rate.
Writes OUT/soak-rounds.yaml, the bench's results.json, rounds.csv and report.html, and OUT/soak.json; prints the
table of memory per node and round; exits 1 when a node grew beyond the limit or a round failed transactions.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent


def rounds_file(rate: float, minutes: float, round_minutes: float, workload: str, workers: int) -> dict:
    count = max(2, math.ceil(minutes / round_minutes))
    return {"rounds": [{"label": f"soak-{i + 1}", "workload": workload, "rate_control": f"fixed-rate:{rate:g}",
                        "duration": round_minutes * 60, "workers": workers} for i in range(count)]}


def memory_by_round(results: dict, field: str = "rss_mib_end") -> dict[str, list[float]]:
    """Per node, its resident memory (MiB; `field` anon_mib_end for the anonymous part) at the end of each round,
    in round order (the bench's own processes are left out: they restart their bookkeeping every round)."""
    rounds = results["runs"][0]["rounds"]
    nodes = sorted(name for name in rounds[0]["resources"] if not name.startswith("bench-"))
    return {node: [r["resources"][node][field] for r in rounds] for node in nodes}


def growth(series: list[float], warm_up: int) -> float:
    """Relative growth from the end of the warm-up rounds to the end of the last round."""
    base = series[warm_up - 1]
    return (series[-1] - base) / base


def verdict(memory: dict[str, list[float]], warm_up: int, limit: float,
            anon: dict[str, list[float]] | None = None) -> dict[str, dict]:
    """Per node: its series and its growth after the warm-up, judged against `limit`.

    With `anon` (local processes) the judgement is on the anonymous memory, heap and stacks, which is what a leak
    grows. The rest of the resident set is file pages: shared libraries, and LevelDB's table files, which it maps
    whole and which grow with the data written (kv-blind-write writes a fresh key per transaction, so the world
    state, and with it the mapped tables, grows by design; the kernel reclaims those pages under pressure).
    Containers report one figure (docker stats), which is judged as it is."""
    found = {}
    for node, series in memory.items():
        judged = (anon or {}).get(node, series)
        found[node] = {"rss_mib_by_round": series, "growth_after_warm_up": growth(series, warm_up),
                       "within_limit": growth(judged, warm_up) <= limit}
        if anon and node in anon:
            found[node] |= {"anon_mib_by_round": judged, "anon_growth_after_warm_up": growth(judged, warm_up)}
    return found


def show(found: dict[str, dict], warm_up: int, console: Console) -> None:
    rounds = len(next(iter(found.values()))["rss_mib_by_round"])
    table = Table(title=f"resident memory (MiB) at the end of each round; growth after round {warm_up} (judged: "
                        "the anonymous part where it is known)")
    table.add_column("node", no_wrap=True)
    for index in range(rounds):
        table.add_column(str(index + 1), justify="right")
    table.add_column("growth", justify="right")
    table.add_column("anonymous", justify="right")
    for node, row in found.items():
        mark = "" if row["within_limit"] else " [red]over[/red]"
        anon = row.get("anon_growth_after_warm_up")
        table.add_row(node, *(f"{v:.0f}" for v in row["rss_mib_by_round"]),
                      f"{row['growth_after_warm_up']:+.1%}" + ("" if anon is not None else mark),
                      "" if anon is None else f"{anon:+.1%}{mark}")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", type=Path, required=True)
    parser.add_argument("--rate", type=float, required=True, help="transactions per second, all workers together")
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--round-minutes", type=float, default=5.0, help="memory is read at the end of each round")
    parser.add_argument("--warm-up-rounds", type=int, default=1)
    parser.add_argument("--limit", type=float, default=0.10, help="allowed growth after the warm-up (0.10 = 10%%)")
    parser.add_argument("--workload", default="kv-blind-write")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--docker", action="store_true", help="nodes as containers instead of local processes")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.rate <= 0 or args.minutes <= 0 or args.round_minutes <= 0 or args.workers < 1:
        parser.error("--rate, --minutes, --round-minutes and --workers must be positive")
    plan = rounds_file(args.rate, args.minutes, args.round_minutes, args.workload, args.workers)
    if not 1 <= args.warm_up_rounds < len(plan["rounds"]):
        parser.error(f"--warm-up-rounds must leave at least one of the {len(plan['rounds'])} rounds after it")

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    (out / "soak-rounds.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    command = [sys.executable, "-c", "from gridledger.cli.app import main; main()", "bench",
               "--network", str(args.network.resolve()), "--free-ports", "--docker" if args.docker else "--local",
               "--rounds", str(out / "soak-rounds.yaml"), "--out", str(out)]
    subprocess.run(command, cwd=REPO, check=True)
    results = json.loads((out / "results.json").read_text())
    anon = None if args.docker else memory_by_round(results, "anon_mib_end")
    found = verdict(memory_by_round(results), args.warm_up_rounds, args.limit, anon)
    failed = {r["label"]: r["failed"] for r in results["runs"][0]["rounds"] if r["failed"]}
    (out / "soak.json").write_text(json.dumps({"rate_tps": args.rate, "warm_up_rounds": args.warm_up_rounds,
                                               "limit": args.limit, "nodes": found, "failed_by_round": failed},
                                              indent=2) + "\n")
    console = Console()
    show(found, args.warm_up_rounds, console)
    if failed:
        console.print(f"[red]rounds with failed transactions: {failed}[/red]")
    sys.exit(0 if not failed and all(row["within_limit"] for row in found.values()) else 1)


if __name__ == "__main__":
    main()
