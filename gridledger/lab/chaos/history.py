"""The history of a chaos run, one JSON object per line, in the order things happened:

    {"t": 1.234, "event": "invoke", "op": 17, "client": "peer0-org1", "function": "put"}
    {"t": 1.530, "event": "ack", "op": 17, "tx_id": "ab..", "block": 9}
    {"t": 1.531, "event": "fail", "op": 18, "tx_id": "cd.." or null, "error": "CommitStatusUnknown"}
    {"t": 1.600, "event": "commit", "node": "peer1-org2", "block": 9, "txs": [["ab..", "VALID"], ...]}
    {"t": 2.000, "event": "fault", "schedule": 0, "fault": {...}}   and "heal", "recovered", "schedule-start/end"

`t` is seconds on the runner's monotonic clock since the run started. The checker reads acknowledgements and
commits back from here; everything else is for the reader of a failed run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


class History:
    """Appends events to a JSONL file, flushed per line so a crashed run keeps what it saw."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._started = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._started

    def record(self, event: str, **fields: Any) -> dict[str, Any]:
        entry = {"t": round(self.now(), 4), "event": event, **fields}
        self._file.write(json.dumps(entry, separators=(",", ":")) + "\n")
        self._file.flush()
        return entry

    def close(self) -> None:
        self._file.close()


def read_history(path: Path) -> Iterator[dict[str, Any]]:
    """The events of a history file; a torn last line (a run killed mid-write) is skipped."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue
