"""Trace: integer readings and prices, unit conversion and select."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gridledger.lab.traces import Trace, TraceError, load_trace
from gridledger.lab.traces.units import cents_to_millicents, kw_to_wh, millicents_to_text, watts_to_kw_text
from tests.traces.support import SAMPLE, write_trace


@pytest.mark.parametrize(("kw", "wh"), [
    ("1", 250), ("1.000", 250), ("0.004", 1), ("0.002", 0), ("0.006", 2), ("0.010", 2), ("0.014", 4),
    ("2.343", 586), ("0.351", 88), ("12.5", 3125), ("0", 0),
])
def test_kw_over_a_slot_to_wh_rounds_half_even(kw: str, wh: int) -> None:
    assert kw_to_wh(Decimal(kw)) == wh


def test_prices_to_millicents_and_back() -> None:
    assert cents_to_millicents(Decimal("10.84")) == 10840
    assert cents_to_millicents(Decimal("3.4")) == 3400
    assert cents_to_millicents(Decimal("2.8")) == 2800
    assert cents_to_millicents(Decimal("0.0005")) == 0  # half to even
    assert (millicents_to_text(10840), millicents_to_text(3400), millicents_to_text(12000)) == ("10.84", "3.4", "12")
    assert millicents_to_text(1) == "0.001"


def test_watts_to_kw_text_is_exact() -> None:
    assert [watts_to_kw_text(w) for w in (0, 5, -5, 1992, -1992, 12345)] == [
        "0.000", "0.005", "-0.005", "1.992", "-1.992", "12.345"]


def test_readings_from_a_file_are_half_even_wh(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "a,7,0.002,0.004,0.006,2.8,11.16", "a,8,0.010,0.000,0.010,2.8,11.16")
    trace = load_trace(path)
    assert trace.reading("a", 7) == (2, 0)
    assert trace.reading("a", 8) == (2, 2)
    assert trace.prices(7) == (2800, 11160)


def test_unknown_household_or_slot_is_a_key_error() -> None:
    trace = load_trace(SAMPLE)
    with pytest.raises(KeyError, match="no reading for household 'nobody' in slot 0"):
        trace.reading("nobody", 0)
    with pytest.raises(KeyError, match=r"no slot 96 in the trace \(slots 0..95\)"):
        trace.prices(96)


def test_select_takes_the_first_households_and_a_slot_range() -> None:
    trace = load_trace(SAMPLE)
    small = trace.select(households=5, slots=range(40, 48))
    assert small.households == ["h001", "h002", "h003", "h004", "h005"]
    assert small.slots == list(range(40, 48))
    assert small.reading("h003", 44) == trace.reading("h003", 44)
    assert small.prices(40) == trace.prices(40)
    assert trace.select().households == trace.households and trace.select().slots == trace.slots
    assert trace.select(slots=range(0, 96, 4)).slots == list(range(0, 96, 4))
    assert len(trace.households) == 63  # select leaves the original alone


@pytest.mark.parametrize(("households", "slots", "message"), [
    (64, None, "cannot select 64 households: the trace has 63"),
    (0, None, "cannot select 0 households"),
    (None, range(90, 100), r"cannot select slots range\(90, 100\): the trace has slots 0..95, not 96"),
    (None, range(5, 5), r"cannot select slots range\(5, 5\)"),
])
def test_select_refuses_what_the_trace_does_not_hold(households: int | None, slots: range | None,
                                                     message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_trace(SAMPLE).select(households=households, slots=slots)


def test_trace_needs_a_complete_grid() -> None:
    with pytest.raises(TraceError, match="no reading for household 'b' in slot 0"):
        Trace({("a", 0): (1, 0), ("b", 1): (1, 0)}, {0: (3400, 10840), 1: (3400, 10840)})
    with pytest.raises(TraceError, match="at least one household"):
        Trace({}, {})
    with pytest.raises(TraceError, match="readings for slot 1 without grid prices"):
        Trace({("a", 0): (1, 0), ("a", 1): (1, 0)}, {0: (3400, 10840)})
