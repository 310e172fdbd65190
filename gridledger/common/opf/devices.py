"""The devices of the paper's day-ahead problem, as data: what each may do, never how a solver encodes it.

Powers are per-unit of the feeder's base, energies per-unit times hours, time in steps of the scenario. The solvers
(lab/opf/model.py) turn each into constraints; the aggregator chaincode uses the bounds to refuse copies that no
device could produce. Every field is checked here, so a scenario read from a file cannot hold an impossible device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class DeviceError(ValueError):
    """A device whose parameters admit no schedule, or are not finite numbers."""


def _finite(*values: float) -> None:
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
        raise DeviceError(f"device parameters must be finite numbers, got {values}")


@dataclass(frozen=True, slots=True)
class Generator:
    """The dispatchable generator at the substation: cost per step = dt * (a * P_MW^2 + b * P_MW + c), so a, b and
    c are in money per MW^2 h, per MWh and per hour; pmin..pmax in pu."""

    a: float
    b: float
    c: float
    pmin: float
    pmax: float

    def __post_init__(self) -> None:
        _finite(self.a, self.b, self.c, self.pmin, self.pmax)
        if self.a < 0 or self.pmin > self.pmax:
            raise DeviceError(f"generator needs a >= 0 (convex cost) and pmin <= pmax, got {self}")


@dataclass(frozen=True, slots=True)
class PV:
    """Zero-marginal-cost generation, curtailable: injects between 0 and `available[t]`."""

    available: tuple[float, ...]

    def __post_init__(self) -> None:
        _finite(*self.available)
        if any(v < 0 for v in self.available):
            raise DeviceError("PV availability must be >= 0")


@dataclass(frozen=True, slots=True)
class Battery:
    """Charges at most p_charge, discharges at most p_discharge (pu); energy stays in e_min..e_max (pu h) and ends
    the day within epsilon * e_start of where it started (the paper's (7f), written as the band it intends)."""

    p_charge: float
    p_discharge: float
    e_min: float
    e_max: float
    e_start: float
    eta_in: float
    eta_out: float
    epsilon: float

    def __post_init__(self) -> None:
        _finite(self.p_charge, self.p_discharge, self.e_min, self.e_max, self.e_start, self.eta_in, self.eta_out,
                self.epsilon)
        if not (self.p_charge >= 0 and self.p_discharge >= 0 and 0 <= self.e_min <= self.e_start <= self.e_max):
            raise DeviceError(f"battery needs powers >= 0 and 0 <= e_min <= e_start <= e_max, got {self}")
        if not (0 < self.eta_in <= 1 and 0 < self.eta_out <= 1 and 0 <= self.epsilon < 1):
            raise DeviceError(f"battery efficiencies must be in (0, 1] and epsilon in [0, 1), got {self}")


@dataclass(frozen=True, slots=True)
class Shapable:
    """An EV-like load: draws 0..p_max only in steps start..end-1 and `energy` (pu h) in total."""

    energy: float
    p_max: float
    start: int
    end: int

    def __post_init__(self) -> None:
        _finite(self.energy, self.p_max)
        if not (0 <= self.start < self.end and self.energy >= 0 and self.p_max >= 0):
            raise DeviceError(f"shapable load needs 0 <= start < end and energy, p_max >= 0, got {self}")

    def check_steps(self, steps: int, dt_hours: float) -> None:
        if self.end > steps:
            raise DeviceError(f"shapable load ends at step {self.end}, after the day's {steps} steps")
        if self.energy > self.p_max * (self.end - self.start) * dt_hours * (1 + 1e-9):
            raise DeviceError(f"shapable load cannot draw {self.energy} pu h at <= {self.p_max} pu in its window")


@dataclass(frozen=True, slots=True)
class Deferrable:
    """A fixed profile (pu per step) that starts at some step in arrival..arrival+window. The solvers relax the
    start to a convex combination of the admissible starts, the paper's relaxation of its departure process (9)."""

    profile: tuple[float, ...]
    arrival: int
    window: int

    def __post_init__(self) -> None:
        _finite(*self.profile)
        if not self.profile or any(v < 0 for v in self.profile) or self.arrival < 0 or self.window < 0:
            raise DeviceError(f"deferrable load needs a non-empty profile >= 0, arrival and window >= 0, got {self}")

    def starts(self, steps: int) -> range:
        """The admissible start steps that finish within the day."""
        return range(self.arrival, min(self.arrival + self.window, steps - len(self.profile)) + 1)

    def check_steps(self, steps: int, dt_hours: float) -> None:
        if not self.starts(steps):
            raise DeviceError(f"deferrable load arriving at step {self.arrival} cannot finish within {steps} steps")
