"""Rate controllers: what the workers, together, should do at each moment of a round.

The coordinator owns the controller and publishes its target to the workers through shared memory every tick;
each worker takes 1/K of it. `mode` says what the target means: "rate" (transactions per second to send) or
"load" (transactions to keep in flight, Caliper's fixed-load/backlog).

Specs: fixed-rate:TPS, fixed-load:BACKLOG, linear-rate:FROM:TO, maximum-rate[:START[:WINDOW_S]].
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar, Literal


class RateController(ABC):
    mode: ClassVar[Literal["rate", "load"]] = "rate"

    def __init__(self, spec: str) -> None:
        self.spec = spec

    @abstractmethod
    def target(self, elapsed: float, completed: int) -> float:
        """The target at `elapsed` seconds into the round, given the transactions completed so far."""

    def summary(self) -> dict[str, float]:
        """What the controller found out during the round (maximum-rate's best throughput); empty otherwise."""
        return {}


class FixedRate(RateController):
    def __init__(self, spec: str, tps: float) -> None:
        super().__init__(spec)
        self.tps = tps

    def target(self, elapsed: float, completed: int) -> float:
        return self.tps


class FixedLoad(RateController):
    mode = "load"

    def __init__(self, spec: str, backlog: float) -> None:
        super().__init__(spec)
        self.backlog = backlog

    def target(self, elapsed: float, completed: int) -> float:
        return self.backlog


class LinearRate(RateController):
    """From FROM tps at the start to TO tps at the end of the round, linearly."""

    def __init__(self, spec: str, start: float, end: float, duration: float) -> None:
        super().__init__(spec)
        self.start, self.end, self.duration = start, end, duration

    def target(self, elapsed: float, completed: int) -> float:
        fraction = min(max(elapsed / self.duration, 0.0), 1.0) if self.duration > 0 else 1.0
        return self.start + (self.end - self.start) * fraction


class MaximumRate(RateController):
    """Steps the rate up until throughput stops growing, then holds at the best throughput seen.

    Every WINDOW seconds it looks at the throughput (completed transactions, any outcome) of the window's second
    half, so the latency of a step does not count against it. While the network keeps up (>= KEEP_UP of the
    target), the target grows by STEP. When it does not keep up, the target stays while throughput still improves
    by more than GROWTH over the best window so far; after STRIKES windows in a row without it the controller
    holds for the rest of the round at the mean throughput of the windows that did not keep up (the sustained
    capacity; the best single window overstates it), so the backlog stops growing.
    """

    STEP = 1.5
    KEEP_UP = 0.9
    GROWTH = 1.05
    STRIKES = 2

    def __init__(self, spec: str, start: float = 50.0, window: float = 3.0) -> None:
        super().__init__(spec)
        self.rate, self.window = start, window
        self.best = 0.0
        self.holding = False
        self._strikes = 0
        self._saturated: list[float] = []
        self._window_start = 0.0
        self._middle: tuple[float, int] | None = None

    def target(self, elapsed: float, completed: int) -> float:
        if self.holding:
            return self.rate
        if self._middle is None and elapsed - self._window_start >= self.window / 2:
            self._middle = (elapsed, completed)
        if elapsed - self._window_start >= self.window and self._middle is not None:
            throughput = (completed - self._middle[1]) / max(elapsed - self._middle[0], 1e-9)
            self._window_start, self._middle = elapsed, None
            self._judge(throughput)
        return self.rate

    def _judge(self, throughput: float) -> None:
        improved = throughput > self.best * self.GROWTH
        self.best = max(self.best, throughput)
        if throughput >= self.KEEP_UP * self.rate:
            self.rate *= self.STEP
            self._strikes = 0
            return
        self._saturated.append(throughput)
        if improved:
            self._strikes = 0
            return
        self._strikes += 1
        if self._strikes >= self.STRIKES:
            self.holding = True
            self.rate = sum(self._saturated) / len(self._saturated)

    def summary(self) -> dict[str, float]:
        sustained = sum(self._saturated) / len(self._saturated) if self._saturated else math.nan
        return {"max_window_throughput_tps": self.best, "saturated_mean_tps": sustained,
                "final_target_tps": self.rate}


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
