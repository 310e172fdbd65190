"""Rate controllers: what the workers, together, should do at each moment of a round.

The coordinator owns the controller and publishes its target to the workers through shared memory every tick;
each worker takes 1/K of it. `mode` says what the target means: "rate" (transactions per second to send) or
"load" (transactions to keep in flight, Caliper's fixed-load/backlog).

Specs: fixed-rate:TPS, fixed-load:BACKLOG, linear-rate:FROM:TO, maximum-rate[:START[:WINDOW_S]].
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Literal


class RateController(ABC):
    mode: Literal["rate", "load"] = "rate"  # maximum-rate changes its own mode during a round

    def __init__(self, spec: str) -> None:
        self.spec = spec

    @abstractmethod
    def target(self, elapsed: float, valid: int, in_flight: int) -> float:
        """The target at `elapsed` seconds into the round, given the transactions committed VALID so far and those
        sent but not completed yet."""

    def summary(self) -> dict[str, float | str]:
        """What the controller found out during the round (maximum-rate's capacity); empty otherwise."""
        return {}


class FixedRate(RateController):
    def __init__(self, spec: str, tps: float) -> None:
        super().__init__(spec)
        self.tps = tps

    def target(self, elapsed: float, valid: int, in_flight: int) -> float:
        return self.tps


class FixedLoad(RateController):
    mode = "load"

    def __init__(self, spec: str, backlog: float) -> None:
        super().__init__(spec)
        self.backlog = backlog

    def target(self, elapsed: float, valid: int, in_flight: int) -> float:
        return self.backlog


class LinearRate(RateController):
    """From FROM tps at the start to TO tps at the end of the round, linearly."""

    def __init__(self, spec: str, start: float, end: float, duration: float) -> None:
        super().__init__(spec)
        self.start, self.end, self.duration = start, end, duration

    def target(self, elapsed: float, valid: int, in_flight: int) -> float:
        fraction = min(max(elapsed / self.duration, 0.0), 1.0) if self.duration > 0 else 1.0
        return self.start + (self.end - self.start) * fraction


class MaximumRate(RateController):
    """Finds the most the network sustains: first by rate, then by backlog.

    Every WINDOW seconds it looks at the goodput (VALID transactions: a node refusing work quickly must not look
    like capacity) of the window's second half, so the latency of a step does not count against it. While the
    network keeps up with the rate (>= KEEP_UP of the target), the rate grows by STEP. Once it falls behind, a fixed
    rate can no longer tell capacity: the network batches more per message as work queues up, so its capacity grows
    with the backlog (docs/performance.md), and holding the rate it managed would drain the queue and with it the
    batching that made the rate possible. So the controller switches to steering the backlog, starting from what is
    in flight at that moment: the backlog grows by STEP while goodput improves by more than GROWTH over the best
    window of this phase; after STRIKES windows in a row without that, it holds for the rest of the round at the
    backlog of the best window. The sustained capacity is the mean goodput of the windows held there (of the best
    window, if the round ended before the controller settled; `stopped` says which).
    """

    STEP = 1.5
    KEEP_UP = 0.9
    GROWTH = 1.05
    STRIKES = 2

    def __init__(self, spec: str, start: float = 50.0, window: float = 3.0) -> None:
        super().__init__(spec)
        self.mode = "rate"
        self.rate, self.window = start, window
        self.backlog = 0.0
        self.best = 0.0  # the best window of the current phase
        self.rate_best = 0.0  # the best window while steering the rate
        self.best_backlog = 0.0
        self.holding = False
        self._strikes = 0
        self._held: list[float] = []
        self._window_start = 0.0
        self._middle: tuple[float, int] | None = None

    def target(self, elapsed: float, valid: int, in_flight: int) -> float:
        if self._middle is None and elapsed - self._window_start >= self.window / 2:
            self._middle = (elapsed, valid)
        if elapsed - self._window_start >= self.window and self._middle is not None:
            throughput = (valid - self._middle[1]) / max(elapsed - self._middle[0], 1e-9)
            self._window_start, self._middle = elapsed, None
            self._judge(throughput, in_flight)
        return self.rate if self.mode == "rate" else self.backlog

    def _judge(self, throughput: float, in_flight: int) -> None:
        if self.holding:
            self._held.append(throughput)
        elif self.mode == "rate":
            self.best = max(self.best, throughput)
            if throughput >= self.KEEP_UP * self.rate:
                self.rate *= self.STEP
            else:  # the backlog search starts afresh: a rate window that was draining a queue is no baseline
                self.mode, self.rate_best, self.best = "load", self.best, 0.0
                self.backlog = self.best_backlog = float(max(in_flight, 1))
        elif throughput > self.best * self.GROWTH:
            self.best, self.best_backlog, self._strikes = throughput, self.backlog, 0
            self.backlog *= self.STEP
        else:
            self._strikes += 1
            if self._strikes >= self.STRIKES:
                self.holding, self.backlog = True, self.best_backlog
            else:
                self.backlog *= self.STEP

    def summary(self) -> dict[str, float | str]:
        if self._held:
            stopped, sustained = "held the best backlog", sum(self._held) / len(self._held)
        elif self.mode == "load":
            stopped, sustained = "the round ended while the backlog was still being searched", self.best
        else:
            stopped, sustained = "the round ended before the network fell behind the rate", math.nan
        return {"sustained_tps": sustained, "max_window_throughput_tps": max(self.best, self.rate_best),
                "last_rate_tps": self.rate,
                "best_backlog": self.best_backlog, "held_windows": len(self._held), "stopped": stopped}


def parse_rate(spec: str, duration: float) -> RateController:
    """A controller from its spec (see the module docstring); ValueError says what is expected."""
    kind, *params = spec.split(":")
    try:
        values = [float(p) for p in params]
    except ValueError:
        raise ValueError(f"rate control {spec!r}: parameters must be numbers") from None
    if any(v < 0 for v in values):
        raise ValueError(f"rate control {spec!r}: parameters must not be negative")
    if kind == "fixed-rate" and len(values) == 1 and values[0] > 0:
        return FixedRate(spec, values[0])
    if kind == "fixed-load" and len(values) == 1 and values[0] >= 1:
        return FixedLoad(spec, values[0])
    if kind == "linear-rate" and len(values) == 2:
        return LinearRate(spec, values[0], values[1], duration)
    if kind == "maximum-rate" and len(values) <= 2 and all(v > 0 for v in values):
        return MaximumRate(spec, *values)
    raise ValueError(f"rate control {spec!r}: expected fixed-rate:TPS, fixed-load:BACKLOG, linear-rate:FROM:TO or "
                     "maximum-rate[:START[:WINDOW_S]]")
