"""A real crash: SIGKILL a process that is committing blocks, at random moments, and check what survives.

Every block whose commit() returned (the child printed it) must be there after reopening, with the state hash the
child saw, and the state and hashes must equal those of a fresh ledger fed the surviving blocks.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from gridledger.common import hashing
from gridledger.peer.ledger import Ledger
from tests.ledger.chain import fingerprint, rebuild
from tests.ledger.crash_writer import NAMESPACES

REPO = Path(__file__).resolve().parents[2]
ROUNDS = 8
MAX_FILE_SIZE = 8192  # small, so kills also land around file rollovers


def _start(path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.crash_writer", str(path), str(MAX_FILE_SIZE)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_and_kill(path: Path, rng: random.Random, wait_for_commits: bool) -> tuple[int | None, dict[int, str]]:
    """Returns the height the child opened with (None if killed before) and the {block: state hash} it acked."""
    child = _start(path)
    try:
        if wait_for_commits:
            for _ in range(2):  # "open" and the first committed block
                if not child.stdout.readline():
                    raise AssertionError(f"crash writer died: {child.stderr.read()}")
        time.sleep(rng.uniform(0.0, 0.5))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read()
    lines = child.stdout.read().splitlines()
    opened, acked = None, {}
    for line in lines:
        first, second = line.split()
        if first == "open":
            opened = int(second)
        else:
            acked[int(first)] = second
    return opened, acked


def _check_consistent(ledger: Ledger, reference_path: Path) -> None:
    previous = b""
    for number, block in enumerate(ledger.iter_blocks()):
        assert block.header.number == number
        assert block.header.previous_hash == previous
        previous = hashing.header_hash(block.header)
    assert ledger.last_block_hash == previous
    with rebuild(ledger.iter_blocks(), reference_path) as reference:
        assert fingerprint(ledger, NAMESPACES) == fingerprint(reference, NAMESPACES)


def test_sigkill_loses_no_acknowledged_block(tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    path = tmp_path / "ledger"
    acked: dict[int, str] = {}
    for round_no in range(ROUNDS):
        opened, newly_acked = _run_and_kill(path, rng, wait_for_commits=round_no % 3 != 2)
        if opened is not None:
            assert opened >= len(acked), f"seed {seed}: child reopened at {opened} after {len(acked)} acked blocks"
        acked.update(newly_acked)
        with Ledger(path, max_file_size=MAX_FILE_SIZE) as ledger:
            assert ledger.height >= max(acked, default=-1) + 1, f"seed {seed} round {round_no}: lost a block"
            for number, state_hash in acked.items():
                assert ledger.state_hash_at(number).hex() == state_hash, f"seed {seed}: block {number} changed"
            _check_consistent(ledger, tmp_path / f"reference{round_no}")
    assert len(acked) > ROUNDS, f"seed {seed}: too few commits to mean anything"
