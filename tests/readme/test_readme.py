"""Every command block of README.md, run as written, in order, in a fresh folder (so `.gridledger`, `results/` and
the bench folders are the test's own) that links the repository's deploy/, gridledger/ and .venv.

CI-sized: heavy commands get quick sizes by the substitutions listed in PLAN (each says why); everything else runs
exactly as written, on the ports the README names (the test is skipped, saying so, when one of them is taken by
another network on this machine). Only the container block is skipped: it needs a Docker engine and images, and
tests/docker runs that path. After each block the test checks what the README says the block produces.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from gridledger.ops.localnet import preferred_rest_port
from gridledger.ops.netconfig import load_network
from tests.integration.network import write_network

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PREFIX = "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n"  # a failing block leaves no operator behind
BLOCK_TIMEOUT_S = 300
PORT_WAIT_S = 70  # a closed connection's TIME_WAIT (60 s on Linux) ends within this


@dataclass(frozen=True)
class Block:
    section: str
    language: str
    text: str
    line: int

    @property
    def key(self) -> str:
        return f"{self.section} ({self.language}, line {self.line})"


def readme_blocks(text: str) -> list[Block]:
    blocks, section, inside, start, lines = [], "", None, 0, []
    for number, line in enumerate(text.splitlines(), start=1):
        if inside is None and line.startswith("## "):
            section = line[3:].strip()
        elif inside is None and line.startswith("```"):
            inside, start, lines = line[3:].strip(), number, []
        elif inside is not None and line.startswith("```"):
            blocks.append(Block(section, inside, "\n".join(lines) + "\n", start))
            inside = None
        elif inside is not None:
            lines.append(line)
    return blocks


@dataclass
class Plan:
    """How one block is run: substitutions (old, new, why) on its text, or skipped with the reason."""

    section: str
    language: str = "sh"
    substitutions: list[tuple[str, str, str]] = field(default_factory=list)
    skip: str = ""
    check: Callable[[Path, str], None] | None = None


# ---------- checks: what each block is documented to produce ----------

def _check_demo(work: Path, out: str) -> None:
    for stage in ("starting the network", "deploying token", "deploying market", "slots settled"):
        assert f"config2-quick: {stage}: done" in out, out  # progress while it runs, also without a terminal
    assert "config2-quick: ledger verified on every peer" in out, out
    assert (work / "results" / "demo" / "report.html").exists()


def _check_network(work: Path, out: str) -> None:
    assert "VALID" in out and "\n1250\n" in out and "ledger verified" in out, out
    status = json.loads(out[out.index('{\n  "nodes"'):out.index("\n}\n", out.index('{\n  "nodes"')) + 2])
    assert {n["name"] for n in status["nodes"]} == {"orderer0", "peer0-org1"}
    assert all(n["healthy"] for n in status["nodes"]) and status["rest"][0]["url"] == "http://127.0.0.1:10444"
    assert "network stopped" in out


def _check_crypto(work: Path, out: str) -> None:
    assert "genesis block for channel 'energy'" in out, out


def _check_experiments(work: Path, out: str) -> None:
    for config in ("config1", "config2", "config3"):
        run = work / "results" / f"{config}-quick"
        assert json.loads((run / "spec.json").read_text())["ledger_verify"] == "ok"
        slots = list(csv.DictReader((run / "slots.csv").open()))
        assert [s["slot_num"] for s in slots] == ["0"] and slots[0]["internal_payments_uc"] == "0"
    rows = list(csv.DictReader((work / "results" / "config3-quick" / "transactions.csv").open()))
    valid = {r["tx_type"] for r in rows if r["tx_status"] == "VALID"}
    assert {"publishKey", "markEnd", "closeBids", "closeReveals", "clear", "report", "settle"} <= valid, valid
    assert not any(r["tx_type"] == "postKey" for r in rows)  # Configuration 3: the auctioneer reveals once
    assert (work / "results" / "report.html").read_text().count('class="figure"') >= 4  # plotly figures
    assert out.count("ledger verified on every peer") >= 6  # after the run, and again by `experiment report`
    assert "63 households" in out or "│ 63 " in out  # trace info on the shipped sample
    built = (work / "trace-build.log").read_text()
    assert (work / "traces" / "community-63x59d.csv").exists() or "pip install -e '.[traces]'" in built, built


def _check_dsm(work: Path, out: str) -> None:
    for run in ("dsm-scenario1-quick", "dsm-scenario2-quick"):
        summary = json.loads((work / "results" / run / "spec.json").read_text())
        assert summary["identical_plans"] is True and summary["ledger_verify"] == "ok", summary
    assert out.count("day 0 (method") == 2 and out.count(": verified") == 2, out  # dsm verify, both methods
    assert (work / "results" / "dsm-report.html").exists()
    assert (work / "traces" / "dsm-25x184d.csv").exists()


SMOKE_ROUND_KEYS = {"label", "submitted", "succeeded", "failed", "failed_by_validation_code", "failed_by_error",
                    "target_send_rate_tps", "achieved_send_rate_tps", "throughput_tps", "goodput_tps", "latency_ms",
                    "blocks", "stages", "resources", "crypto_bound", "achieved_over_crypto_bound", "load_average",
                    "cpu_ms_per_valid_tx", "machine_cpu_percent", "timeseries"}


def _check_bench(work: Path, out: str) -> None:
    """The smoke rounds (deploy/bench/smoke.yaml: every workload and rate controller) give a complete report;
    checked for completeness, never for speed."""
    smoke = json.loads((work / "bench-smoke" / "results.json").read_text())
    assert smoke["machine"]["cores"] >= 1 and smoke["crypto_cost"]["sign_us"] > 0
    (run,) = smoke["runs"]
    workloads = {"kv-blind-write", "kv-read-write", "kv-hot-key", "market-order"}
    assert {r["workload"] for r in run["rounds"]} == workloads
    for result in run["rounds"]:
        assert set(result) >= SMOKE_ROUND_KEYS and result["succeeded"] > 0, result["label"]
        assert result["succeeded"] + result["failed"] == result["submitted"]
        assert {"peer0-org1", "orderer0", "bench-worker-0", "bench-worker-1"} <= set(result["resources"])
        assert (result["crypto_bound"]["signs_per_tx"], result["crypto_bound"]["verifies_per_tx"]) == (3, 4)
    rows = list(csv.DictReader((work / "bench-smoke" / "rounds.csv").open()))
    assert {row["workload"] for row in rows} == workloads and all(int(row["Succ"]) > 0 for row in rows)
    page = (work / "bench-smoke" / "report.html").read_text()
    for title in ("Throughput over time", "Latency over time", "Latency CDF", "Outcomes", "Block sizes"):
        assert title in page
    body = page[page.index("<body>"):page.rindex("</body>") + len("</body>")]
    ET.fromstring(body.replace("<!DOCTYPE html>", ""))  # the figures and tables are well-formed markup
    assert json.loads((work / "bench-out" / "results.json").read_text())["runs"][0]["rounds"][0]["succeeded"] > 0
    assert len(json.loads((work / "bench-sweep" / "results.json").read_text())["runs"]) == 2


def _check_chaos(work: Path, out: str) -> None:
    """The run's files exist and its verdict holds; what the checks mean is tests/chaos' business."""
    result = json.loads((work / "chaos-out" / "result.json").read_text())
    assert result["ok"] and result["acked"] > 0 and result["lost"] == result["forks"] == 0, result
    assert (work / "chaos-out" / "history.jsonl").stat().st_size > 0
    assert "Recovery per schedule" in (work / "chaos-out" / "report.html").read_text()


def _check_rest(work: Path, out: str) -> None:
    assert '"validation_code":"VALID"' in out, out


def _check_market(work: Path, out: str) -> None:
    """One slot settled through REST and the operator alone, with the numbers the README states."""
    assert '"registered":3' in out, out
    result, _ = json.JSONDecoder().raw_decode(out[out.index('{"market_id":"m1","slot":0,"price"'):])
    assert (result["price"], result["volume_wh"]) == (8000, 600)  # midpoint of 9000 and 7000; min(1000, 600)
    assert result["allocations"] == {"buy": {"h1": 600}, "sell": {"h2": 600}}
    assert result["settlement"]["transfers"] == {"h1": -8000 * 600 - 10840 * 900, "h2": 8000 * 600,
                                                 "grid": 10840 * 900}
    assert '{"account":"h1","balance":-14556000}' in out
    for step in ("close_bids", "close_reveals", "clear", "settle"):
        assert f"slot 0: {step} committed in block" in out


def _check_sdk(work: Path, out: str) -> None:
    assert "VALID" in out and "b'1250'" in out, out


PLAN = [
    Plan("Two commands", substitutions=[
        ("make demo", "make -o .venv/.installed demo DEMO_ARGS='--spec tiny/config2.yaml'",
         "the demo at a CI size (2 households, 1 slot, one solo peer); -o: the venv is the test's own, make must "
         "not reinstall it from this folder"),
        ("make test", "true", "make test is what runs this test")],
        check=_check_demo),
    Plan("Working with a network", check=_check_network),
    Plan("Working with a network", check=_check_crypto),
    Plan("Energy market experiments", substitutions=[
        *((f"deploy/experiments/{c}.yaml", f"tiny/{c}.yaml", "each configuration at a CI size (its market "
           "settings; 2 households, 1 slot, one solo peer)") for c in ("config1", "config2", "config3")),
        ("$G trace build --households 63 --days 59 --seed 2013 --out traces/community-63x59d.csv",
         "{ $G trace build --households 2 --days 1 --seed 2013 --out traces/community-63x59d.csv || true; } "
         "2>&1 | tee trace-build.log",
         "a CI-sized trace; without the optional simbench package (not in CI) the command must say how to get it")],
        check=_check_experiments),
    Plan("Demand-side management experiments", substitutions=[
        *((f"deploy/experiments/{spec}.yaml", f"tiny/{spec}.yaml", "each DSM scenario at a CI size (3 houses, "
           "1 day, one solo peer)") for spec in ("dsm-scenario1", "dsm-scenario2")),
        (" 0 1 2 --data-dir", " 0 --data-dir", "the CI-sized run plans one day"),
        ("--households 25 --days 184", "--households 2 --days 1", "a CI-sized trace")],
        check=_check_dsm),
    Plan("Benchmarks", substitutions=[
        ("deploy/networks/default.yaml --local", "deploy/networks/dev.yaml --local",
         "one solo peer instead of 3 Raft orderers and 4 peers, at CI size"),
        ("--duration 60", "--duration 2", "a 2 s round"), ("--duration 20", "--duration 2", "a 2 s round"),
        ("batch_timeout_ms=50,200,500", "batch_timeout_ms=50,500", "two networks instead of three")],
        check=_check_bench),
    Plan("Chaos runs", substitutions=[
        ("deploy/networks/raft.yaml", "deploy/networks/dev.yaml", "one solo orderer and one peer, at CI size"),
        ("--schedules 5 --duration 10", "--schedules 1 --duration 4", "one 4 s schedule")],
        check=_check_chaos),
    Plan("REST API", check=_check_rest),
    Plan("Energy market over REST", check=_check_market),
    Plan("Python SDK", language="python", check=_check_sdk),
    Plan("Run it in containers", skip="needs a Docker engine and the gridledger images; tests/docker runs "
         "`make up`, containers and REST enrolment in them"),
]

def _readme_ports() -> list[int]:
    """Every port of the networks the README starts on their own ports (dev.yaml, default.yaml) and dev.yaml's
    REST service (its first peer's operations port + 1000)."""
    ports = []
    for name in ("dev", "default"):
        network = load_network(REPO / "deploy" / "networks" / f"{name}.yaml")
        ports += [port for _, _, node in network.all_nodes() for port in (node.port, node.operations_port) if port]
    dev = load_network(REPO / "deploy" / "networks" / "dev.yaml")
    return [*ports, preferred_rest_port(dev, dev.peer_msp_ids[0])]


def _taken(port: int) -> bool:
    """Bound as `network up` chooses the REST port (plain bind): a port in TIME_WAIT after an earlier network
    counts, or the service would move to the next port and the README's URL would be wrong."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _tiny_specs(work: Path) -> None:
    """Each shipped market configuration and DSM spec with its own settings, shrunk to a CI size on a one-peer
    network."""
    network = write_network(work / "tiny", orgs=1, peers_per_org=1, batch_timeout_ms=100)
    for config in ("config1", "config2", "config3"):
        spec = yaml.safe_load((REPO / "deploy" / "experiments" / f"{config}.yaml").read_text())
        spec["network"] = str(network)
        spec["market"]["start_margin_blocks"] = 2
        spec["agents"]["clock_interval_ms"] = 100
        spec["quick"] = {"trace": "deploy/traces/sample.csv", "households": 2, "first_slot": 26, "slots": 1,
                         "slot_length_blocks": 6, "reveal_offset_blocks": 3}
        (work / "tiny" / f"{config}.yaml").write_text(yaml.safe_dump(spec))
    for name in ("dsm-scenario1", "dsm-scenario2"):
        spec = yaml.safe_load((REPO / "deploy" / "experiments" / f"{name}.yaml").read_text())
        spec["network"] = str(network)
        spec["quick"] = {"trace": "deploy/traces/dsm-sample.csv", "days": 1, "houses": 3}
        (work / "tiny" / f"{name}.yaml").write_text(yaml.safe_dump(spec))


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    deadline = time.monotonic() + PORT_WAIT_S
    ports = _readme_ports()
    while (taken := [port for port in ports if _taken(port)]) and time.monotonic() < deadline:
        time.sleep(1)
    if taken:
        pytest.skip(f"the README's ports {taken} are in use on this machine (another network is running)")
    folder = tmp_path_factory.mktemp("readme")
    for name in ("deploy", "gridledger", ".venv", "Makefile", "pyproject.toml", "scripts", "proto"):
        (folder / name).symlink_to(REPO / name)
    (folder / "tiny").mkdir()
    _tiny_specs(folder)
    try:
        yield folder
    finally:
        # the walk ends with the REST blocks' network up (the experiments and benchmarks stop their own)
        subprocess.run([str(folder / ".venv" / "bin" / "gridledger"), "network", "down"], cwd=folder,
                       capture_output=True, timeout=60)


def _prepare(block: Block, plan: Plan) -> str:
    text = block.text
    for old, new, why in plan.substitutions:
        assert old in text, f"{block.key}: the substitution for {why!r} no longer matches: {old!r}"
        text = text.replace(old, new)
    return text


def test_the_plan_covers_every_block_in_order() -> None:
    blocks = readme_blocks(README.read_text())
    assert [(b.section, b.language) for b in blocks] == [(p.section, p.language) for p in PLAN], \
        "README.md's command blocks changed: add the new block to PLAN in tests/readme/test_readme.py"


def test_every_block_runs_as_written(work: Path) -> None:
    blocks = readme_blocks(README.read_text())
    env = {**os.environ, "G": ".venv/bin/gridledger", "PYTHONUNBUFFERED": "1"}  # G: set in the README's first block
    env.pop("GRIDLEDGER_WALLET_PASSPHRASE", None)
    for block, plan in zip(blocks, PLAN, strict=True):
        if plan.skip:
            continue
        text = _prepare(block, plan)
        if block.language == "python":
            command = [str(work / ".venv" / "bin" / "python"), "-c", text]
        else:
            command = ["bash", "-e", "-o", "pipefail", "-c", PREFIX + text]
        started = time.monotonic()
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT_S)
        print(f"{block.key}: {time.monotonic() - started:.1f} s")
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{block.key} failed ({done.returncode}):\n{text}\n---\n{output[-6000:]}"
        if plan.check is not None:
            try:
                plan.check(work, output)
            except AssertionError as exc:
                raise AssertionError(f"{block.key}: {exc}\n---\n{output[-6000:]}") from None
