"""The machine a result was measured on, recorded with every result: numbers mean little without it."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import psutil


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    """1, 5 and 15 minute load averages (other engineers share this machine: a high load skews results)."""
    return [round(v, 2) for v in os.getloadavg()]


def machine_cpu_percent() -> float:
    """Busy share of all cores since the previous call (the first call primes it): 100 means every core was busy,
    whoever's processes kept it so."""
    return psutil.cpu_percent(interval=None)


def describe() -> dict[str, object]:
    return {"cores": os.cpu_count(), "cpu_model": cpu_model(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1), "platform": platform.platform(),
            "python": sys.version.split()[0], "load_average_at_start": load_average()}
