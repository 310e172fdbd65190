"""Helpers for the trace tests: the shipped sample and small hand-written trace files."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "traces" / "sample.csv"
HEADER = "id,slot,gen,grid,use,lo,hi"


def write_trace(folder: Path, *rows: str, header: str = HEADER, name: str = "trace.csv") -> Path:
    """A trace file with one comment line, the header (line 2) and `rows` (from line 3 on)."""
    path = folder / name
    path.write_text("\n".join(["# test trace", header, *rows]) + "\n", encoding="utf-8")
    return path
