"""Structured logs: one JSON object per line on stderr, so runners and tests can parse events (with their block
numbers, ports, heights) instead of scraping prose. One line per event, never one per transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

_FIELDS = "gridledger_fields"


class JsonLinesFormatter(logging.Formatter):
    """Formats a record as {"ts", "level", "logger", "event", ...fields}; an exception goes into "error"."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "INFO") -> None:
    """Send every gridledger log record to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, exc_info: bool = False,
              **fields: Any) -> None:
    """Log `event` with structured fields (block=..., port=...)."""
    if logger.isEnabledFor(level):
        logger.log(level, event, extra={_FIELDS: fields}, exc_info=exc_info)
