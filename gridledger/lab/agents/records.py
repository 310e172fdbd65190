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


COLUMNS = tuple(field.name for field in fields(TxRecord))


class TxLog:
    """Collects attempts of a run; times are relative to the run's start so runs compare directly. An agent
    process started after the run began is given that start as a wall-clock time (`started_at`, seconds since the
    epoch), so its records line up with the runner's when they are merged."""

    def __init__(self, started_at: float | None = None) -> None:
        elapsed = 0.0 if started_at is None else time.time() - started_at
        self._origin = time.perf_counter() - elapsed
        self.started_at = time.time() - elapsed
        self.records: list[TxRecord] = []

    def now(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self._origin

    def add(self, record: TxRecord) -> None:
        self.records.append(record)

    def write_csv(self, path: Path) -> Path:
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for record in self.records:
                row = list(astuple(record))
                row[6] = f"{record.submitted_s:.4f}"
                row[7] = f"{record.latency_ms:.2f}"
                row[9] = "" if record.block is None else record.block
                writer.writerow(row)
        return path


def read_records(path: Path) -> list[TxRecord]:
    """The records a TxLog wrote to `path` (an agent process's), for merging into the run's; ValueError names the
    file and line of a row that is not one."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected the columns {', '.join(COLUMNS)}, found {reader.fieldnames}")
        try:
            return [TxRecord(row["tx_id"], int(row["slot"]), row["household"], row["tx_type"], row["phase"],
                             int(row["attempt"]), float(row["submitted_s"]), float(row["latency_ms"]),
                             row["tx_status"], int(row["block"]) if row["block"] else None) for row in reader]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{reader.line_num}: not a transaction record: {exc}") from None
