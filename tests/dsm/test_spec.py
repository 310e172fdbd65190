"""DSM experiment specs and the runner's pure parts: what a spec may say, which days and houses it selects, how
base loads come from a trace, and how scenario 2's battery groups scale."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gridledger.lab.dsm.runner import battery_names, day_bases, select_days
from gridledger.lab.dsm.spec import load_dsm_spec
from gridledger.lab.experiment.spec import SpecError
from gridledger.lab.traces import TraceError, load_trace

SAMPLE = Path("deploy/traces/dsm-sample.csv")
SPECS = sorted(Path("deploy/experiments").glob("dsm-*.yaml"))


@pytest.mark.parametrize("path", SPECS, ids=[p.name for p in SPECS])
def test_the_shipped_specs_load_and_their_quick_runs_need_only_the_sample(path: Path) -> None:
    quick = load_dsm_spec(path).quickened()
    assert quick.trace.path == SAMPLE and quick.trace.days == 3
    _, houses, days = select_days(quick)
    assert len(houses) == 25 and list(days) == [0, 1, 2]


def _spec(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump({"kind": "dsm", "name": "x", "network": "deploy/networks/dev.yaml",
                                    "scenario": "scenario1", "trace": {"path": str(SAMPLE)}, **fields}))
    return path


@pytest.mark.parametrize(("fields", "message"), [
    ({"scenario": "scenario3"}, "scenario"),
    ({"methods": ["method1", "method1"]}, "each once"),
    ({"methods": ["method3"]}, "methods"),
    ({"reward_case": 5}, "reward_case"),
    ({"agents": {"attempt_delays_s": [-1]}}, "0..60"),
    ({"trace": {"path": str(SAMPLE), "houses": 0}}, "houses"),
    ({"colour": "red"}, "colour"),
])
def test_bad_specs_name_the_field(tmp_path: Path, fields: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_dsm_spec(_spec(tmp_path, **fields))


def test_asking_for_more_days_or_houses_than_the_trace_has_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="has 3 days"):
        select_days(load_dsm_spec(_spec(tmp_path, trace={"path": str(SAMPLE), "days": 4})))
    with pytest.raises(TraceError, match="has 25 households"):
        select_days(load_dsm_spec(_spec(tmp_path, trace={"path": str(SAMPLE), "houses": 26})))


def test_base_loads_are_the_trace_s_net_draw_in_watts() -> None:
    trace = load_trace(SAMPLE)
    bases = day_bases(trace, trace.households[:2], 1)
    house = trace.households[0]
    use, gen = trace.reading(house, 96 + 50)
    assert bases[house][50] == 4 * (use - gen) and len(bases[house]) == 96


def test_scenario_two_keeps_its_five_groups_for_any_number_of_houses() -> None:
    assert battery_names("scenario2", 25)[::5] == ["sonnen-eco", "pika-harbour-5", "tesla-powerwall-2",
                                                   "lg-chem-resu10h", "b-box-pro-5"]
    assert battery_names("scenario2", 10) == [name for name in battery_names("scenario2", 25)[::5] for _ in "ab"]
    assert set(battery_names("scenario1", 7)) == {"tesla-powerwall-2"}
