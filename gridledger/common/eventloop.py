"""The event loop that node processes and the bench's load workers run on. grpc.aio spends most of a node's CPU in
per-message callbacks of the loop (docs/performance.md, "Where the time goes"), so the loop's own cost per callback
shows in every figure: uvloop (libuv) runs them cheaper than the standard library's selector loop (measured side by
side in docs/performance.md, "The event loop").

GRIDLEDGER_EVENT_LOOP picks it: `auto` (the default) is uvloop where it is installed (a dependency of the package, so
everywhere but a hand-made environment) and the standard loop otherwise; `uvloop` insists on it; `asyncio` selects
the standard loop, for comparing the two with scripts/bench_compare.py."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
VARIABLE = "GRIDLEDGER_EVENT_LOOP"
CHOICES = ("auto", "uvloop", "asyncio")


def chosen() -> str:
    """The loop to run on, uvloop or asyncio; an unknown GRIDLEDGER_EVENT_LOOP value is refused, not ignored."""
    name = os.environ.get(VARIABLE, "").strip().lower() or "auto"
    if name not in CHOICES:
        raise ValueError(f"{VARIABLE}={name!r}: choose one of {', '.join(CHOICES)}")
    if name == "auto":
        return "uvloop" if importlib.util.find_spec("uvloop") is not None else "asyncio"
    return name


def run(main: Coroutine[Any, Any, T]) -> T:
    """asyncio.run on the chosen loop."""
    if chosen() == "uvloop":
        import uvloop  # imported only when chosen, so the standard loop needs no uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(main)
    return asyncio.run(main)
