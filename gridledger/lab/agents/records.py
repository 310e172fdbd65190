"""One row per transaction attempt, in island's columns plus the slot, household, phase and block."""

from __future__ import annotations

import csv
import time
from dataclasses import astuple, dataclass, fields
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TxRecord:
    """An attempt to commit one transaction; `tx_status` is VALID, a validation code name or an error kind."""

    tx_id: str
    slot: int
    household: str
    tx_type: str
    phase: str
    attempt: int
    submitted_s: float
    latency_ms: float
    tx_status: str
    block: int | None


class TxLog:
    """Collects attempts of a run; times are relative to the log's creation so runs compare directly."""

    def __init__(self) -> None:
        self._origin = time.perf_counter()
        self.records: list[TxRecord] = []

    def now(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self._origin

    def add(self, record: TxRecord) -> None:
        self.records.append(record)

    def write_csv(self, path: Path) -> Path:
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([field.name for field in fields(TxRecord)])
            for record in self.records:
                row = list(astuple(record))
                row[6] = f"{record.submitted_s:.4f}"
                row[7] = f"{record.latency_ms:.2f}"
                row[9] = "" if record.block is None else record.block
                writer.writerow(row)
        return path
