"""The builder on synthetic profiles (no simbench needed): household draws, scaling, the file it writes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridledger.lab.traces import load_trace, trace_stats
from gridledger.lab.traces.build import BuildRequest, household_watts, write_trace
from gridledger.lab.traces.households import (
    LOAD_PROFILES,
    PV_PROFILES,
    Household,
    HouseholdOptions,
    draw_households,
    household_ids,
)
from gridledger.lab.traces.simbench_source import YEAR_SLOTS, Profiles

SUNNY = [0.5 if 40 <= slot % 96 < 56 else 0.0 for slot in range(YEAR_SLOTS)]  # 2 kWh per kWp per day


def flat_profiles() -> Profiles:
    """A flat load (every profile 0.5 of its peak all year) and PV at half its peak from 10:00 to 14:00."""
    return Profiles("test", {name: [0.5] * YEAR_SLOTS for name in LOAD_PROFILES}, {name: SUNNY for name in PV_PROFILES})


def test_households_are_reproducible_and_independent_of_the_count() -> None:
    options = HouseholdOptions()
    homes = draw_households(63, 7, options)
    assert homes == draw_households(63, 7, options)
    assert draw_households(10, 7, options) == homes[:10]
    assert draw_households(10, 8, options) != homes[:10]
    assert [h.id for h in homes[:2]] == ["h001", "h002"] and homes[-1].id == "h063"
    for home in homes:
        assert home.load_profile in LOAD_PROFILES and home.pv_profile in PV_PROFILES
        assert 3000 <= home.annual_kwh <= 6000 and 3.0 <= home.kwp <= 8.0
        assert abs(home.shift_slots) <= 2 * 7 * 96 + 2
    assert len({h.load_profile for h in homes}) == len(LOAD_PROFILES)
    assert len({h.shift_slots for h in homes}) > 5  # shifts spread households that share a profile


def test_pv_share_only_adds_or_removes_systems() -> None:
    everyone = draw_households(40, 3, HouseholdOptions(pv_share=1.0))
    some = draw_households(40, 3, HouseholdOptions(pv_share=0.5))
    assert all(h.pv_profile is None for h in draw_households(40, 3, HouseholdOptions(pv_share=0.0)))
    assert 5 < sum(h.pv_profile is not None for h in some) < 35
    for full, partial in zip(everyone, some, strict=True):
        assert (full.load_profile, full.annual_kwh, full.shift_slots) == (
            partial.load_profile, partial.annual_kwh, partial.shift_slots)
        assert partial.pv_profile is None or (partial.pv_profile, partial.kwp) == (full.pv_profile, full.kwp)


def test_ids_sort_in_build_order() -> None:
    ids = household_ids(1200)
    assert ids[0] == "h0001" and sorted(ids) == ids


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"pv_share": 1.5}, "PV share 1.5 is not between 0 and 1"),
    ({"kwp_min": 9.0}, "PV size range 9.0-8.0 kWp"),
    ({"annual_kwh_min": 0.0}, "annual consumption range 0.0-6000.0 kWh"),
])
def test_household_options_are_checked(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HouseholdOptions(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"households": 0}, "--households must be at least 1"),
    ({"days": 0}, "--days must be at least 1"),
    ({"start_day": 365, "days": 2}, r"--start-day 365 with --days 2 leaves the SimBench year \(days 0..365\)"),
    ({"lo": Decimal("10.84")}, "need 0 < --lo < --hi"),
    ({"lo": Decimal("0.0001")}, "need 0 < --lo < --hi"),
])
def test_build_request_is_checked(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BuildRequest(**{"households": 2, "days": 1, "seed": 0, **kwargs})


def test_load_is_scaled_to_annual_consumption_and_pv_to_peak_power() -> None:
    home = Household("h001", "H0-A", 4392, 0, "PV1", 4.0)  # 4392 kWh over 8784 h: 0.5 kW on average
    use, gen = household_watts(home, flat_profiles(), 0, 96)
    assert use == [500] * 96
    assert gen[:40] == [0] * 40 and gen[40:56] == [2000] * 16 and gen[56:] == [0] * 40


def test_load_shift_reads_the_profile_later_and_wraps_around_the_year() -> None:
    ramp = [slot / YEAR_SLOTS for slot in range(YEAR_SLOTS)]
    profiles = Profiles("test", {"H0-A": ramp}, {})
    early = Household("h001", "H0-A", 4000, -3, None, 0.0)
    use, gen = household_watts(early, profiles, 0, 4)
    unshifted, _ = household_watts(Household("h001", "H0-A", 4000, 0, None, 0.0), profiles, YEAR_SLOTS - 3, 3)
    assert use[:3] == unshifted and use[3] == 0 and gen == [0, 0, 0, 0]


def test_written_trace_loads_and_carries_its_provenance(tmp_path: Path) -> None:
    request = BuildRequest(households=4, days=2, seed=5, start_day=10, lo=Decimal("2.8"), hi=Decimal("11.16"))
    out = tmp_path / "sub" / "trace.csv"
    ticks = []
    homes = write_trace(out, request, flat_profiles(), lambda: ticks.append(1))
    assert len(ticks) == 2 * 96 and not list(tmp_path.glob("sub/*.partial"))
    trace = load_trace(out)
    assert trace.households == [h.id for h in homes] == ["h001", "h002", "h003", "h004"]
    assert trace.slots == list(range(192)) and trace.prices(191) == (2800, 11160)
    stats = trace_stats(trace)
    assert stats.pv_share == 1 and stats.gen_wh == sum(32 * round(round(1000 * h.kwp * 0.5) / 4) for h in homes)
    text = out.read_text(encoding="utf-8")
    assert "# seed: 5\n" in text and "ODbL" in text and "PyPI package simbench test" in text
    assert ("# built by: gridledger trace build --households 4 --days 2 --seed 5 --start-day 10 --lo 2.8 "
            "--hi 11.16 --pv-share 1 --kwp-min 3 --kwp-max 8 --annual-kwh-min 3000 --annual-kwh-max 6000 --out FILE"
            ) in text
    assert "# slots: 15 min; slot 0 starts 2016-01-11 00:00" in text
    assert f"# household {homes[0].describe()}\n" in text


def test_a_smaller_build_is_a_selection_of_a_bigger_one(tmp_path: Path) -> None:
    big, small = tmp_path / "big.csv", tmp_path / "small.csv"
    write_trace(big, BuildRequest(households=6, days=2, seed=1), flat_profiles())
    write_trace(small, BuildRequest(households=3, days=1, seed=1, start_day=1), flat_profiles())
    chosen, built = load_trace(big).select(households=3, slots=range(96, 192)), load_trace(small)
    assert chosen.households == built.households
    assert all(chosen.reading(h, 96 + t) == built.reading(h, t) for h in built.households for t in built.slots)
