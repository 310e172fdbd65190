"""scripts/soak.py's plan and verdict (the soak itself runs for an hour: docs/performance.md, "Memory")."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "soak.py"
spec = importlib.util.spec_from_file_location("soak", SCRIPT)
soak = importlib.util.module_from_spec(spec)
sys.modules["soak"] = soak
spec.loader.exec_module(soak)


def test_the_plan_cuts_the_soak_into_equal_fixed_rate_rounds():
    plan = soak.rounds_file(100, 60, 5, "kv-blind-write", 2)["rounds"]
    assert len(plan) == 12
    assert {r["rate_control"] for r in plan} == {"fixed-rate:100"} and {r["duration"] for r in plan} == {300}
    assert len(soak.rounds_file(100, 1, 5, "kv-blind-write", 2)["rounds"]) == 2  # one to warm up, one to judge


def results(*rss_by_round: dict[str, float]) -> dict:
    return {"runs": [{"rounds": [{"resources": {name: {"rss_mib_end": v} for name, v in rss.items()}}
                                 for rss in rss_by_round]}]}


def test_growth_is_judged_after_the_warm_up_and_leaves_the_bench_out():
    memory = soak.memory_by_round(results({"peer0": 100, "orderer0": 50, "bench-worker-0": 10},
                                          {"peer0": 150, "orderer0": 60, "bench-worker-0": 90},
                                          {"peer0": 160, "orderer0": 70, "bench-worker-0": 300}))
    assert memory == {"orderer0": [50, 60, 70], "peer0": [100, 150, 160]}
    found = soak.verdict(memory, warm_up=2, limit=0.10)
    assert found["peer0"]["growth_after_warm_up"] == pytest.approx(10 / 150)
    assert found["peer0"]["within_limit"]
    assert found["orderer0"]["growth_after_warm_up"] == pytest.approx(10 / 60)
    assert not found["orderer0"]["within_limit"]


def test_where_the_anonymous_part_is_known_it_is_what_is_judged():
    rounds = {"runs": [{"rounds": [{"resources": {"peer0": {"rss_mib_end": total, "anon_mib_end": anon},
                                                  "peer1": {"rss_mib_end": total, "anon_mib_end": anon * 2}}}
                                   for total, anon in ((100, 60), (150, 60), (200, 63))]}]}
    anon = soak.memory_by_round(rounds, "anon_mib_end")
    anon["peer1"][-1] = 140  # +17% of its heap: a leak, whatever the file pages do
    found = soak.verdict(soak.memory_by_round(rounds), 2, 0.10, anon)
    assert found["peer0"]["anon_mib_by_round"] == [60, 60, 63]
    assert found["peer0"]["growth_after_warm_up"] == pytest.approx(50 / 150)  # reported, mapped tables included
    assert found["peer0"]["anon_growth_after_warm_up"] == pytest.approx(0.05)
    assert found["peer0"]["within_limit"] and not found["peer1"]["within_limit"]
