"""The long fuzzing run (issue 15, `make test-faults`): coverage-guided atheris over every decoder target, mutated
requests at every gRPC service of a running network, and schemathesis over every REST operation, then one table.

    .venv/bin/python scripts/fuzz.py [decoders] [grpc] [rest] [--runs N] [--grpc-inputs N] [--rest-examples N]
                                     [--rest-scenarios N] [--rest-operations REGEX] [--seed N] [--artifacts DIR]

With no part named, all three run. Columns: inputs executed, crashes (an undocumented exception, an INTERNAL or
UNKNOWN gRPC status, a 5xx or a schema violation), hangs (no answer within the deadline), and coverage: for
atheris, libFuzzer's edge count after the seeds -> at the end; for the network parts, the answers seen. Crash
inputs are copied to --artifacts; a fixed one belongs in tests/fuzz/regressions/<target>/. Exit status 1 when
anything crashed or hung. The CI-sized slices of the same fuzzers are tests/fuzz/test_*.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.fuzz import grpc_driver, rest_driver  # noqa: E402
from tests.fuzz.livenet import create_known_neighbourhood, enroll_admin_token, fuzz_network  # noqa: E402
from tests.fuzz.targets import BUILDERS  # noqa: E402
from tests.fuzz.world import make_crypto  # noqa: E402

PARTS = ("decoders", "grpc", "rest")
COVERAGE = re.compile(r"#(\d+)\s+(INITED|DONE)\s+cov: (\d+)")
EXECUTED = re.compile(r"stat::number_of_executed_units: (\d+)")
REST_CHAINCODES = ("kv", "market", "token", "dsm")  # so the market and DSM endpoints reach their contracts


@dataclass
class Row:
    target: str
    inputs: int
    crashes: int
    hangs: int
    coverage: str
    seconds: float


def finished(row: Row) -> Row:
    """One line on stderr as each target finishes: the table comes at the end, and the long run takes hours."""
    print(f"{row.target}: {row.inputs} inputs, {row.crashes} crashes, {row.hangs} hangs, {row.seconds:.0f} s",
          file=sys.stderr, flush=True)
    return row


def _fuzz_decoder(name: str, crypto: Path, work: Path, runs: int, seed: int,
                  artifacts: Path) -> Row:
    corpus = work / "corpus" / name  # the child writes its seeds there: they depend on its own genesis block
    found = work / "found" / name
    found.mkdir(parents=True)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.atheris_child", name, str(crypto), str(corpus), f"-runs={runs}",
         f"-seed={seed}",
         "-max_len=16384", "-timeout=10", "-rss_limit_mb=4096", f"-artifact_prefix={found}/",
         "-print_final_stats=1"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, text=True, check=False)
    log = completed.stderr
    coverage = {stage: int(cov) for _, stage, cov in COVERAGE.findall(log)}
    executed = EXECUTED.search(log)
    crashes = [p for p in found.iterdir() if p.name.startswith(("crash-", "oom-", "leak-"))]
    hangs = [p for p in found.iterdir() if p.name.startswith(("timeout-", "slow-unit-"))]
    if completed.returncode != 0 and not crashes and not hangs:
        (artifacts / f"{name}.log").write_text(log)
        crashes = [Path(f"{name}.log")]  # the child died without an artifact: count it, keep its log
    for path in (*crashes, *hangs):
        if path.exists():
            shutil.copy(path, artifacts / f"{name}-{path.name}")
            (artifacts / f"{name}-{path.name}.log").write_text(log[-20000:])
    cov = f"{coverage.get('INITED', 0)} -> {coverage.get('DONE', coverage.get('INITED', 0))} edges"
    return Row(f"atheris {name}", int(executed.group(1)) if executed else 0, len(crashes), len(hangs), cov,
               time.monotonic() - started)


def run_decoders(work: Path, runs: int, seed: int, artifacts: Path) -> list[Row]:
    crypto = make_crypto(work / "crypto")
    return [finished(_fuzz_decoder(name, crypto, work, runs, seed, artifacts)) for name in BUILDERS]


def run_grpc(work: Path, inputs: int, seed: int, artifacts: Path, consensus: str) -> list[Row]:
    """Every peer and orderer service; with raft, Cluster.Step too, last (a consenter's inputs may move the
    cluster's terms, which the other services should not have to run under)."""
    rows = []
    with fuzz_network(work / f"grpc-{consensus}", orderers=3 if consensus == "raft" else 1) as net:
        fuzzer = grpc_driver.GrpcFuzzer(net.crypto, net.definition.msp_ids, net.peer_address, net.orderer_address)
        unhealthy: list[str] = []
        try:
            world = net.world()
            methods = grpc_driver.methods(world, net.crypto, net.committed_tx_id)
            if consensus == "raft":
                methods.append(grpc_driver.cluster_method(world))
            for service in dict.fromkeys(m.service for m in methods):
                started = time.monotonic()
                selected = [m for m in methods if m.service == service]
                tally = grpc_driver.run(fuzzer, selected, inputs, seed)[service]
                if not net.healthy():
                    unhealthy.append(service)
                for number, (path, data, code) in enumerate(tally.crashes):
                    (artifacts / f"grpc-{service}-crash-{number}").write_bytes(data)
                    (artifacts / f"grpc-{service}-crash-{number}.txt").write_text(f"{path} {code}\n")
                for number, (path, data) in enumerate(tally.hangs):
                    (artifacts / f"grpc-{service}-hang-{number}").write_bytes(data)
                    (artifacts / f"grpc-{service}-hang-{number}.txt").write_text(f"{path} DEADLINE_EXCEEDED\n")
                answers = ", ".join(f"{code} {count}" for code, count in tally.statuses.most_common())
                rows.append(finished(Row(f"grpc {service}", tally.inputs, len(tally.crashes), len(tally.hangs),
                                         answers, time.monotonic() - started)))
        finally:
            fuzzer.close()
        if unhealthy or not net.healthy():
            rows.append(Row("grpc nodes healthy", 0, 1, 0, f"unhealthy after {', '.join(unhealthy) or 'the run'}",
                            0.0))
    return rows


def _rest_row(target: str, tally: rest_driver.Tally, started: float, artifacts: Path) -> Row:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", target).strip("-")
    for number, failure in enumerate(tally.failures):
        (artifacts / f"rest-{slug}-failure-{number}.txt").write_text(failure + "\n")
    for number, hang in enumerate(tally.hangs):
        (artifacts / f"rest-{slug}-hang-{number}.txt").write_text(hang + "\n")
    answers = ", ".join(f"{code} {count}" for code, count in sorted(tally.statuses.items()))
    return Row(target, tally.inputs, len(tally.failures), len(tally.hangs), answers, time.monotonic() - started)


def run_rest(work: Path, examples: int, scenarios: int, seed: int, artifacts: Path,
             operations: re.Pattern[str]) -> list[Row]:
    """Every operation whose label (`POST /v1/markets`) `operations` matches, then `scenarios` stateful walks (none
    when 0): one long run can be split over processes, each with its own network."""
    rows = []
    with fuzz_network(work / "rest-network", rest=True, chaincodes=REST_CHAINCODES) as net:
        token = enroll_admin_token(net)
        rest_driver.create_known_market(net.rest_url(), token)
        create_known_neighbourhood(net, rest_driver.KNOWN_NEIGHBOURHOOD)
        schema = rest_driver.load_schema(net.rest_url())
        for result in schema.get_all_operations():
            operation = result.ok()
            if not operations.search(operation.label):
                continue
            started, tally = time.monotonic(), rest_driver.Tally()
            rest_driver.fuzz_operation(operation, token, examples, seed, tally)
            rows.append(finished(_rest_row(f"rest {operation.label}", tally, started, artifacts)))
        if scenarios:
            started = time.monotonic()
            rows.append(finished(_rest_row("rest stateful (links)",
                                           rest_driver.fuzz_stateful(schema, token, scenarios, seed), started,
                                           artifacts)))
        if not net.healthy():
            rows.append(Row("rest nodes healthy", 0, 1, 0, "a node is down after the run", 0.0))
    return rows


def print_table(rows: list[Row]) -> None:
    header = ("target", "inputs", "crashes", "hangs", "coverage / answers", "seconds")
    lines = [header, *((r.target, str(r.inputs), str(r.crashes), str(r.hangs), r.coverage, f"{r.seconds:.0f}")
                       for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for number, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |")
        if number == 0:
            print("| " + " | ".join("-" * width for width in widths) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", choices=[*PARTS, []], help="which fuzzers (default: all)")
    parser.add_argument("--runs", type=int, default=100_000, help="atheris inputs per decoder target")
    parser.add_argument("--grpc-inputs", type=int, default=10_000, help="inputs per gRPC service")
    parser.add_argument("--rest-examples", type=int, default=10_000, help="generated inputs per REST operation "
                        "(hypothesis stops early when an operation has fewer distinct inputs)")
    parser.add_argument("--rest-scenarios", type=int, default=500, help="stateful walks along the links (0: none)")
    parser.add_argument("--rest-operations", type=re.compile, default=re.compile(""),
                        help="only the REST operations whose label matches this regular expression, e.g. "
                        "'^GET /v1/dsm' (default: all)")
    parser.add_argument("--consensus", choices=["solo", "raft"], default="raft",
                        help="the gRPC part's orderers: raft (three, and Cluster.Step is fuzzed too) or solo")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--artifacts", type=Path, default=Path(tempfile.gettempdir()) / "gridledger-fuzz-artifacts",
                        help="where crash and hang inputs are copied")
    args = parser.parse_args(argv)
    # SIGTERM (timeout, a CI runner) unwinds like Ctrl-C, so the fuzzed network's processes are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    parts = args.parts or list(PARTS)
    args.artifacts.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="gridledger-fuzz-") as folder:
        work = Path(folder)
        if "decoders" in parts:
            rows += run_decoders(work, args.runs, args.seed, args.artifacts)
        if "grpc" in parts:
            rows += run_grpc(work, args.grpc_inputs, args.seed, args.artifacts, args.consensus)
        if "rest" in parts:
            rows += run_rest(work, args.rest_examples, args.rest_scenarios, args.seed, args.artifacts,
                             args.rest_operations)
    print_table(rows)
    return 1 if any(row.crashes or row.hangs for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
