#!/usr/bin/env python3
"""Side-by-side benchmark rounds: the same `gridledger bench` round on two checkouts (or two settings of one),
alternating A, B, A, B ... in one session, so a claim in docs/performance.md is a ratio measured under the same
machine load rather than two numbers taken on different days.

    bench_compare.py --baseline main --pairs 3 --out /tmp/cmp -- \\
        --network deploy/networks/default.yaml --free-ports --workload kv-blind-write \\
        --rate-control fixed-load:800 --duration 30 --workers 2

    bench_compare.py --baseline . --baseline-env GRIDLEDGER_X=0 --candidate-env GRIDLEDGER_X=1 -- ...

A side is a git revision (checked out into a temporary worktree, removed afterwards) or `.` for this working tree.
Each run is the side's own code, nodes included: PYTHONPATH names the side's tree, which the interpreter searches
before the editable install, and every node process inherits it. Relative paths in the bench arguments resolve
inside each side's tree, so each side runs the network files it ships. Everything after `--` goes to `gridledger
bench` unchanged, except --out, which this script sets per run (OUT/baseline-1, OUT/candidate-1, ...).

Prints a table per run and the candidate/baseline ratios per pair, and writes OUT/compare.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
# (column, key path into one round's result in results.json); the ratio of each is candidate / baseline.
FIGURES: list[tuple[str, tuple[str, ...]]] = [
    ("goodput tx/s", ("goodput_tps",)),
    ("p50 ms", ("latency_ms", "p50")),
    ("p99 ms", ("latency_ms", "p99")),
    ("node CPU ms/tx", ("cpu_ms_per_valid_tx", "nodes")),
    ("goodput/bound", ("achieved_over_crypto_bound",)),
    ("failed", ("failed",)),
]


@dataclass(frozen=True)
class Side:
    name: str  # baseline or candidate
    revision: str  # a git revision, or "." for the working tree
    env: dict[str, str]


@contextmanager
def checkout(revision: str) -> Iterator[Path]:
    """The tree to run `revision` from: this working tree for ".", else a detached temporary worktree."""
    if revision == ".":
        yield REPO
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(folder), revision],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)], check=False)


def run_bench(tree: Path, side: Side, bench_args: list[str], out: Path) -> dict:
    """One `gridledger bench` run of `side` from `tree`; its results.json."""
    env = {**os.environ, **side.env, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-c", "from gridledger.cli.app import main; main()", "bench", *bench_args,
               "--out", str(out)]
    subprocess.run(command, cwd=tree, env=env, check=True)
    return json.loads((out / "results.json").read_text())


def figures(results: dict) -> list[dict[str, float | None]]:
    """One dict of FIGURES per round of every network in a results.json."""
    rows = []
    for run in results["runs"]:
        for result in run["rounds"]:
            row: dict[str, float | None] = {}
            for column, path in FIGURES:
                value: object = result
                for key in path:
                    value = value.get(key) if isinstance(value, dict) else None
                row[column] = value if isinstance(value, (int, float)) else None
            rows.append(row)
    return rows


def ratio(candidate: float | None, baseline: float | None) -> float | None:
    return candidate / baseline if candidate is not None and baseline else None


def pair_ratios(baseline: list[dict], candidate: list[dict]) -> list[dict[str, float | None]]:
    return [{column: ratio(c[column], b[column]) for column, _ in FIGURES} for b, c in zip(baseline, candidate,
                                                                                           strict=True)]


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"


def show(runs: list[dict], ratios: list[dict], console: Console) -> None:
    table = Table(title="runs, in the order they ran")
    for heading in ("side", "pair", "round"):
        table.add_column(heading, no_wrap=True)
    for column, _ in FIGURES:
        table.add_column(column, justify="right")
    for run in runs:
        for index, row in enumerate(run["figures"]):
            table.add_row(run["side"], str(run["pair"]), str(index + 1), *(_cell(row[c]) for c, _ in FIGURES))
    console.print(table)
    summary = Table(title="candidate / baseline")
    summary.add_column("pair")
    for column, _ in FIGURES:
        summary.add_column(column, justify="right")
    for index, row in enumerate(ratios):
        summary.add_row(str(index + 1), *(_cell(row[c]) for c, _ in FIGURES))
    means = {c: statistics.fmean(v) if (v := [r[c] for r in ratios if r[c] is not None]) else None
             for c, _ in FIGURES}
    summary.add_row("mean", *(_cell(means[c]) for c, _ in FIGURES))
    console.print(summary)


def parse_env(items: list[str], flag: str) -> dict[str, str]:
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise SystemExit(f"{flag} takes NAME=VALUE, got {item!r}")
        env[name] = value
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision, or . for this working tree")
    parser.add_argument("--candidate", default=".", help="git revision, or . for this working tree (default)")
    parser.add_argument("--baseline-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--candidate-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--pairs", type=int, default=2, help="baseline/candidate pairs, alternating (default 2)")
    parser.add_argument("--out", type=Path, required=True, help="folder for every run and compare.json")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="-- then the arguments of gridledger bench")
    args = parser.parse_args()
    bench_args = args.bench_args[1:] if args.bench_args[:1] == ["--"] else args.bench_args
    if not bench_args:
        parser.error("give the bench arguments after --")
    if "--out" in bench_args:
        parser.error("--out is set per run by this script; give it before --")
    if args.pairs < 1:
        parser.error("--pairs must be at least 1")
    sides = [Side("baseline", args.baseline, parse_env(args.baseline_env, "--baseline-env")),
             Side("candidate", args.candidate, parse_env(args.candidate_env, "--candidate-env"))]
    if sides[0].revision == sides[1].revision and sides[0].env == sides[1].env:
        parser.error("baseline and candidate are the same tree with the same settings")

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    runs: list[dict] = []
    with ExitStack() as stack:
        trees = {side.name: stack.enter_context(checkout(side.revision)) for side in sides}
        for pair in range(1, args.pairs + 1):
            for side in sides:
                results = run_bench(trees[side.name], side, bench_args, out / f"{side.name}-{pair}")
                runs.append({"side": side.name, "pair": pair, "revision": side.revision, "env": side.env,
                             "figures": figures(results)})
    by_side = {name: [row for run in runs if run["side"] == name for row in run["figures"]]
               for name in ("baseline", "candidate")}
    ratios = pair_ratios(by_side["baseline"], by_side["candidate"])
    (out / "compare.json").write_text(json.dumps({"bench_args": bench_args, "runs": runs, "ratios": ratios},
                                                 indent=2) + "\n")
    show(runs, ratios, Console())


if __name__ == "__main__":
    main()
