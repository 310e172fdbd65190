"""The long chaos runs of `make test-faults`: many seeded schedules per consensus type, and a full disk."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from gridledger.lab.chaos.report import write_report
from gridledger.lab.chaos.runner import ChaosRunner, ChaosSpec, save_result
from tests.integration.network import write_network

pytestmark = [pytest.mark.integration, pytest.mark.faults]

SCHEDULES = int(os.environ.get("GRIDLEDGER_CHAOS_SCHEDULES", "50"))
ORDERERS = {"solo": 1, "raft": 3, "bft": 4}
ROOT = os.geteuid() == 0


def _run(tmp_path: Path, orderers: int, **spec) -> None:
    network_file = write_network(tmp_path, orgs=2, peers_per_org=1, orderers=orderers)
    out = Path(os.environ.get("GRIDLEDGER_CHAOS_OUT", tmp_path)) / f"chaos-{tmp_path.name}"
    result = asyncio.run(ChaosRunner(ChaosSpec(network_file=network_file, data_dir=tmp_path / "data", out_dir=out,
                                               **spec)).run())
    save_result(result, out)
    write_report(result, out / "history.jsonl", out / "report.html")
    failed = {s.index: s.problems for s in result.schedules if not s.ok}
    assert result.ok, (failed, result.final_problems)
    assert result.lost == result.forks == 0 and result.acked > 0


@pytest.mark.timeout(3600)
@pytest.mark.parametrize("consensus", ["solo", "raft", "bft"])
def test_seeded_schedules(tmp_path: Path, consensus: str) -> None:
    _run(tmp_path, ORDERERS[consensus], seed=2026, schedules=SCHEDULES, duration_s=6.0, disk_full=ROOT)


@pytest.mark.skipif(not ROOT, reason="a size-capped tmpfs per node needs mount(2), which only root may call here")
def test_a_peer_whose_disk_fills_stops_and_recovers_without_losing_anything(tmp_path: Path) -> None:
    """Found by the first disk-full schedule: a commit that failed with ENOSPC ended the peer's block puller
    silently, and the peer went on serving at a height that never grew. It now stops (exit 1), and restarted with
    space again it replays its ledger and catches up."""
    _run(tmp_path, 1, seed=5, schedules=2, duration_s=8.0, kinds=("disk-full",), disk_full=True)


@pytest.mark.skipif(not ROOT, reason="a size-capped tmpfs per node needs mount(2), which only root may call here")
def test_an_orderer_whose_disk_fills_halts_and_recovers_without_losing_anything(tmp_path: Path) -> None:
    """Found by the first long solo run: a block the solo orderer could not store (ENOSPC from LevelDB) ended its
    ordering loop, and the orderer stayed up answering SERVICE_UNAVAILABLE for good (raft and bft consenters that
    fail did the same). A consenter that fails now halts the orderer (exit 1); restarted, it orders again."""
    _run(tmp_path, 1, seed=1, schedules=1, duration_s=6.0, kinds=("disk-full",), disk_full=True)
