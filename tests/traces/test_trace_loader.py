"""load_trace: the shipped sample loads, and each kind of bad input is refused with file, line and column."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from gridledger.lab.traces import Trace, TraceError, load_trace, trace_stats
from tests.traces.support import HEADER, SAMPLE, write_trace

GOOD = ("a,0,1.000,-0.500,0.500,3.4,10.84", "b,0,0.000,0.250,0.250,3.4,10.84",
        "a,1,0.000,1.000,1.000,3.4,10.84", "b,1,0.400,0.000,0.400,3.4,10.84")


def test_sample_loads_with_the_documented_shape_and_totals() -> None:
    trace = load_trace(SAMPLE)
    assert trace.households == [f"h{n:03d}" for n in range(1, 64)]
    assert trace.slots == list(range(96))
    stats = trace_stats(trace)
    assert (stats.households, stats.slots, stats.use_wh, stats.gen_wh, stats.pv_share) == (63, 96, 836384, 813657, 1)
    assert all(trace.prices(slot) == (3400, 10840) for slot in trace.slots)


def test_sample_header_cites_source_licence_and_seed() -> None:
    header = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    assert "SimBench" in text and "ODbL" in text and "opendatacommons.org/licenses/odbl" in text
    assert "# seed: 1" in header
    assert "gridledger trace build --households 63 --days 1 --seed 1 --start-day 74" in text


def test_sample_readings_are_the_rows_converted_to_wh() -> None:
    trace = load_trace(SAMPLE)
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert len(rows) == 63 * 96
    for row in rows[::97]:
        use_wh, gen_wh = trace.reading(row["id"], int(row["slot"]))
        assert type(use_wh) is int and type(gen_wh) is int
        assert use_wh == round(Decimal(row["use"]) * 250)  # Decimal rounds half-even too
        assert gen_wh == round(Decimal(row["gen"]) * 250)
        assert Decimal(row["use"]) == Decimal(row["gen"]) + Decimal(row["grid"])  # exact in the shipped file


def test_comments_blank_lines_extra_columns_and_any_row_order_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("# one\n\nlocalminute,id,slot,gen,grid,use,lo,hi\n"
                    "x,b,1,0,0.4,0.4,3.4,10.84\n# mid-file comment\nx,a,1,0,1,1,3.4,10.84\n"
                    "x,b,0,0,0.25,0.25,3.4,10.84\nx,a,0,1,-0.5,0.5,3.4,10.84\n", encoding="utf-8")
    trace = load_trace(path)
    assert isinstance(trace, Trace)
    assert trace.households == ["a", "b"] and trace.slots == [0, 1]
    assert trace.reading("a", 0) == (125, 250) and trace.reading("b", 1) == (100, 0)


def test_use_within_rounding_tolerance_of_gen_plus_grid_is_accepted(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "a,0,1.000,-0.501,0.500,3.4,10.84")  # 1 W off: each value rounded to 3 decimals
    assert load_trace(path).reading("a", 0) == (125, 250)


def _error(tmp_path: Path, *rows: str, header: str = HEADER) -> str:
    path = write_trace(tmp_path, *rows, header=header)
    with pytest.raises(TraceError) as caught:
        load_trace(path)
    return str(caught.value)


@pytest.mark.parametrize(("row", "message"), [
    ("c,0,1.000,-0.500,x,3.4,10.84", ":4: column 'use': 'x' is not a number"),
    ("c,0,nan,0.5,0.5,3.4,10.84", ":4: column 'gen': 'nan' is not a finite number"),
    ("c,0,1,-1.5,-0.5,3.4,10.84", ":4: column 'use': -0.5 is negative"),
    ("c,0,-1,1.5,0.5,3.4,10.84", ":4: column 'gen': -1 is negative"),
    ("c,0,1.000,0.500,0.500,3.4,10.84", ":4: column 'use': 0.500 != gen + grid = 1.000 + 0.500 = 1.500"),
    ("c,0,0,0.5,0.5,10.84,10.84", ":4: column 'lo': lo 10.84 must be below hi 10.84"),
    ("c,0,0,0.5,0.5,11,10.84", ":4: column 'lo': lo 11 must be below hi 10.84"),
    ("c,0,0,0.5,0.5,0,10.84", ":4: column 'lo': 0 c/kWh is not a positive price"),
    ("c,-1,0,0.5,0.5,3.4,10.84", ":4: column 'slot': '-1' is not a whole number >= 0"),
    ("c,1.5,0,0.5,0.5,3.4,10.84", ":4: column 'slot': '1.5' is not a whole number >= 0"),
    (",0,0,0.5,0.5,3.4,10.84", ":4: column 'id': empty household id"),
    ("c,0,0,0.5,0.5,3.4", ":4: 6 fields, the header has 7"),
])
def test_bad_row_names_file_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    text = _error(tmp_path, GOOD[0], row)  # the bad row is line 4
    assert text.startswith(str(tmp_path / "trace.csv"))
    assert message in text


def test_duplicate_household_and_slot_names_both_lines(tmp_path: Path) -> None:
    text = _error(tmp_path, *GOOD, GOOD[2])
    assert f"{tmp_path / 'trace.csv'}:7: column 'id': duplicate (id, slot) ('a', 1), first at line 5" in text


def test_prices_that_differ_within_a_slot_are_refused(tmp_path: Path) -> None:
    text = _error(tmp_path, GOOD[0], "b,0,0.000,0.250,0.250,3.4,11.16")
    assert ":4: column 'hi': lo/hi 3.4/11.16 differ from those of slot 0 at line 3" in text


def test_missing_column_names_the_header_line(tmp_path: Path) -> None:
    text = _error(tmp_path, "a,0,1,0.5,3.4,10.84", header="id,slot,gen,grid,lo,hi")
    assert f"{tmp_path / 'trace.csv'}:2: missing column(s) 'use' in the header" in text


def test_incomplete_grid_names_the_missing_reading(tmp_path: Path) -> None:
    text = _error(tmp_path, *GOOD[:3])
    assert text == f"{tmp_path / 'trace.csv'}: no reading for household 'b' in slot 1 (every household needs a row " \
                   "in every slot)"


def test_file_without_rows_or_header_or_at_all(tmp_path: Path) -> None:
    assert _error(tmp_path).endswith("trace.csv: no data rows")
    empty = tmp_path / "empty.csv"
    empty.write_text("# only a comment\n", encoding="utf-8")
    with pytest.raises(TraceError, match=r"empty\.csv: no header row"):
        load_trace(empty)
    with pytest.raises(TraceError, match=r"absent\.csv: cannot read"):
        load_trace(tmp_path / "absent.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"id,slot\n\xff\xfe\n")
    with pytest.raises(TraceError, match=r"binary\.csv: not UTF-8 text"):
        load_trace(binary)


def test_tolerance_is_configurable_for_coarser_sources(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "a,0,1.00,-0.49,0.50,3.4,10.84")  # 10 W off
    with pytest.raises(TraceError, match="column 'use'"):
        load_trace(path)
    assert load_trace(path, tolerance_kw=Decimal("0.01")).reading("a", 0) == (125, 250)
