#!/usr/bin/env python3
"""What the nodes' metrics cost (docs/metrics.md, "What the metrics cost"). The nodes have no switch that turns
metrics off, so this measures the parts instead:

    metrics_cost.py parts --network FILE     on a running network of FILE (local processes): the cost of one
                                             prometheus-client observation in this process, the observations per
                                             committed transaction on the network (every gridledger histogram count
                                             and counter total over every node, against the VALID transactions),
                                             and one GET /metrics's wall time and node CPU on a peer and an orderer
    metrics_cost.py scrape --network FILE --rate HZ
                                             scrape every node's /metrics HZ times a second until interrupted (run
                                             beside `gridledger bench` for a side-by-side round; nodes that are not
                                             up yet are skipped)
"""

from __future__ import annotations

import argparse
import contextlib
import time
import timeit
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.parser import text_string_to_metric_families

from gridledger.common.metrics import LATENCY_BUCKETS
from gridledger.ops.netconfig import load_network

REPEATS = 200_000
SCRAPES = 200


def operations_ports(network_file: Path) -> dict[str, int]:
    return {node.name: node.operations_port for _, _, node in load_network(network_file).all_nodes()
            if node.operations_port is not None}


def scrape(port: int) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        return reply.read()


def samples(port: int) -> list[tuple[str, dict[str, str], float]]:
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(scrape(port).decode())
            for s in family.samples]


def per_operation() -> None:
    """The hot path's calls, each timed alone (best of five): what one observation costs a node's CPU."""
    registry = CollectorRegistry()
    histogram = Histogram("h_seconds", "h", buckets=LATENCY_BUCKETS, registry=registry)
    labelled = Histogram("l_seconds", "l", ["chaincode"], buckets=LATENCY_BUCKETS, registry=registry).labels("kv")
    counter = Counter("c", "c", ["code"], registry=registry)
    for name, call in (("Histogram.observe", lambda: histogram.observe(0.003)),
                       ("labelled Histogram.observe", lambda: labelled.observe(0.003)),
                       ("Counter.labels(code).inc", lambda: counter.labels("VALID").inc())):
        seconds = min(timeit.repeat(call, number=REPEATS, repeat=5)) / REPEATS
        print(f"{name}: {seconds * 1e9:.0f} ns")


def parts(network_file: Path) -> None:
    per_operation()
    ports = operations_ports(network_file)
    first: dict[str, str] = {}  # role -> its first node
    for _, role, node in load_network(network_file).all_nodes():
        first.setdefault(role, node.name)
    observations, valid, cpu = 0.0, 0.0, 0.0
    for name, port in ports.items():
        for sample, labels, value in samples(port):
            if sample.startswith("gridledger_") and sample.endswith(("_count", "_total")):
                observations += value
            if name == first["peer"] and sample == "gridledger_peer_transactions_total" and labels["code"] == "VALID":
                valid = value
            if sample == "process_cpu_seconds_total":
                cpu += value
    print(f"observations on {len(ports)} nodes: {observations:.0f} for {valid:.0f} VALID transactions, "
          f"{observations / max(valid, 1):.1f} per transaction; node CPU since start {cpu:.1f} s, "
          f"{cpu / max(valid, 1) * 1e3:.2f} ms per transaction")
    for name in (first["peer"], first["orderer"]):
        port = ports[name]
        size = len(scrape(port))
        before = next(v for s, _, v in samples(port) if s == "process_cpu_seconds_total")
        started = time.perf_counter()
        for _ in range(SCRAPES):
            scrape(port)
        wall = (time.perf_counter() - started) / SCRAPES
        used = (next(v for s, _, v in samples(port) if s == "process_cpu_seconds_total") - before) / (SCRAPES + 1)
        print(f"{name}: GET /metrics {size} bytes, {wall * 1e3:.2f} ms wall, {used * 1e3:.2f} ms node CPU")


def scrape_forever(network_file: Path, rate: float) -> None:
    ports = list(operations_ports(network_file).values())

    def once(port: int) -> None:
        with contextlib.suppress(OSError):
            scrape(port)

    with ThreadPoolExecutor(len(ports)) as pool:
        while True:
            started = time.monotonic()
            list(pool.map(once, ports))
            time.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("parts", "scrape"):
        sub = commands.add_parser(name)
        sub.add_argument("--network", type=Path, required=True)
    commands.choices["scrape"].add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    if args.command == "parts":
        parts(args.network)
    else:
        with contextlib.suppress(KeyboardInterrupt):
            scrape_forever(args.network, args.rate)


if __name__ == "__main__":
    main()
