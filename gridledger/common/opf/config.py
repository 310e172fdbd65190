"""The ADMM run's parameters, validated once: the aggregator chaincode stores the normalised JSON at create and
every agent and `opf verify` read the same values back, so they cannot disagree about when the run has converged."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from fractions import Fraction

SCALE = 10**9  # fixed point: one per-unit is SCALE integer units, so copies travel and average as exact integers
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")


class AdmmConfigError(ValueError):
    """An ADMM configuration that cannot run."""


@dataclass(frozen=True, slots=True)
class AdmmConfig:
    """rho, eps_pri and eps_dual as in the paper (100, 1e-3, 0.1). Residuals are norms in per-unit over all copies:
    ||x~ - z~|| <= eps_pri and rho * ||z~^k - z~^(k-1)|| <= eps_dual (Boyd's dual residual, which the paper cites).
    A bus whose copy misses an iteration is taken to have sent its last copy again (before its first, the copy of
    z it was given), so a silent device never stalls the run; `max_iterations` ends a run that does not converge."""

    run_id: str
    rho: float = 100.0
    eps_pri: float = 1e-3
    eps_dual: float = 0.1
    max_iterations: int = 1000

    def __post_init__(self) -> None:
        if not isinstance(self.run_id, str) or not RUN_ID.match(self.run_id):
            raise AdmmConfigError(f"run_id {self.run_id!r} must be 1-64 of A-Z a-z 0-9 _ . - (starting alphanumeric)")
        for name in ("rho", "eps_pri", "eps_dual"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (0 < value < math.inf):
                raise AdmmConfigError(f"{name} must be a positive finite number, got {value!r}")
        if isinstance(self.max_iterations, bool) or not isinstance(self.max_iterations, int) \
                or not 1 <= self.max_iterations <= 100_000:
            raise AdmmConfigError(f"max_iterations must be an integer in 1..100000, got {self.max_iterations!r}")

    @classmethod
    def from_dict(cls, data: object) -> AdmmConfig:
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__) or "run_id" not in data:
            raise AdmmConfigError(f"an ADMM config is an object with run_id and any of "
                                  f"{', '.join(cls.__dataclass_fields__)}, got {data!r}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)

    def primal_bound(self) -> Fraction:
        """eps_pri^2 in squared fixed-point units, exact (Fraction of a float is exact)."""
        return Fraction(self.eps_pri) ** 2 * SCALE**2

    def dual_bound(self) -> Fraction:
        """(eps_dual / rho)^2 in squared fixed-point units: compared with the sum of squared changes of z~."""
        return (Fraction(self.eps_dual) / Fraction(self.rho)) ** 2 * SCALE**2


def to_fixed(value: float) -> int:
    """Per-unit to fixed point, rounding half to even (Python's round), the one conversion every side uses."""
    if not math.isfinite(value):
        raise AdmmConfigError(f"{value!r} is not a finite number")
    return round(value * SCALE)


def from_fixed(value: int) -> float:
    return value / SCALE
