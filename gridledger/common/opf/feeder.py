"""A radial distribution feeder in per-unit, as the branch-flow (DistFlow) model reads it.

Bus 0 is the substation. Every other bus i hangs from one parent bus through line i, so lines and non-root buses
share an index; P[i], Q[i] are the sending-end flows from parent(i) into line i, l[i] its squared current and v[i]
the squared voltage magnitude at bus i. Both the chaincode (the copy layout) and the solvers in lab/opf read this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


class FeederError(ValueError):
    """A feeder description that is not a radial network with finite, positive data."""


@dataclass(frozen=True, slots=True)
class Feeder:
    """Feeder data in per-unit of (base_mva, base_kv). Index 0 of the per-line tuples is unused (the root has no
    line) and holds 0; `line_limit` is the squared-current bound in per-unit, math.inf where the data has none."""

    name: str
    base_mva: float
    base_kv: float
    parent: tuple[int, ...]  # parent[0] = -1
    r: tuple[float, ...]
    x: tuple[float, ...]
    line_limit: tuple[float, ...]
    vmin: tuple[float, ...]  # voltage magnitude bounds, pu (not squared)
    vmax: tuple[float, ...]
    v_root: float  # substation voltage magnitude, pu
    p_load: tuple[float, ...]  # each bus's base uncontrollable load, pu
    q_load: tuple[float, ...]

    def __post_init__(self) -> None:
        n = len(self.parent)
        if n < 2:
            raise FeederError("a feeder needs the substation and at least one more bus")
        for field in ("r", "x", "line_limit", "vmin", "vmax", "p_load", "q_load"):
            if len(getattr(self, field)) != n:
                raise FeederError(f"{field} has {len(getattr(self, field))} entries for {n} buses")
        if self.parent[0] != -1:
            raise FeederError("bus 0 is the substation and has no parent (parent[0] must be -1)")
        for bus in range(1, n):
            if not 0 <= self.parent[bus] < n or self.parent[bus] == bus:
                raise FeederError(f"bus {bus} has parent {self.parent[bus]}, not another bus of the feeder")
            if not (self.r[bus] > 0 and self.x[bus] >= 0 and math.isfinite(self.r[bus] + self.x[bus])):
                raise FeederError(f"line {bus} needs r > 0 and x >= 0, finite; got r={self.r[bus]}, x={self.x[bus]}")
            if not self.line_limit[bus] > 0:
                raise FeederError(f"line {bus} has limit {self.line_limit[bus]}; it must be positive (inf for none)")
        for bus in range(n):
            if not 0 < self.vmin[bus] <= self.vmax[bus] < math.inf:
                raise FeederError(f"bus {bus} has voltage bounds {self.vmin[bus]}..{self.vmax[bus]}")
            if not (math.isfinite(self.p_load[bus]) and math.isfinite(self.q_load[bus])):
                raise FeederError(f"bus {bus} has a non-finite load")
        if not (self.base_mva > 0 and self.base_kv > 0 and 0 < self.v_root < math.inf):
            raise FeederError("base_mva, base_kv and v_root must be positive")
        self.depth_order()  # raises on a cycle

    @property
    def buses(self) -> int:
        return len(self.parent)

    def children(self, bus: int) -> tuple[int, ...]:
        """The buses fed from this one, lowest index first (the fixed order of the copy layout)."""
        return tuple(k for k in range(1, self.buses) if self.parent[k] == bus)

    def depth_order(self) -> tuple[int, ...]:
        """Buses from the substation outwards; raises FeederError if some bus does not reach the substation."""
        order, frontier = [0], [0]
        while frontier:
            frontier = [k for bus in frontier for k in self.children(bus)]
            order += frontier
        if len(order) != self.buses:
            missing = sorted(set(range(self.buses)) - set(order))
            raise FeederError(f"buses {missing} do not reach the substation: the feeder is not radial")
        return tuple(order)
