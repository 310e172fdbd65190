"""Feeders from open data, read through pandapower: the Baran & Wu 33-bus feeder it ships (case33bw), and the
base-case AC power flow pandapower computes on the same data (the reference the DistFlow model must reproduce).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridledger.common.opf import Feeder, FeederError
from gridledger.lab.opf.solvers import require

NO_LIMIT_KA = 99999.0  # pandapower's placeholder for a line without a current rating


def from_pandapower(net, name: str) -> Feeder:  # net: a pandapower network without transformers
    """Per-unit on (net.sn_mva, the substation's kV) from the in-service lines; bus 0 is the external grid's bus.
    Buses are renumbered in pandapower's bus-table order with the substation first."""
    if len(net.trafo) or len(net.ext_grid) != 1:
        raise FeederError(f"{name}: only single-voltage feeders with one external grid are read")
    root = int(net.ext_grid.bus.iloc[0])
    order = [root, *[int(b) for b in net.bus.index if int(b) != root]]
    number = {bus: i for i, bus in enumerate(order)}
    base_kv = float(net.bus.vn_kv.loc[root])
    z_base = base_kv**2 / net.sn_mva
    i_base_ka = net.sn_mva / (math.sqrt(3) * base_kv)
    n = len(order)
    parent, r, x, limit = [-1] * n, [0.0] * n, [0.0] * n, [math.inf] * n
    lines = net.line[net.line.in_service]
    adjacent: dict[int, list[tuple[int, object]]] = {i: [] for i in range(n)}
    for row in lines.itertuples():
        a, b = number[int(row.from_bus)], number[int(row.to_bus)]
        adjacent[a].append((b, row))
        adjacent[b].append((a, row))
    seen, frontier = {0}, [0]
    while frontier:  # orient each line away from the substation
        nxt = []
        for bus in frontier:
            for other, row in adjacent[bus]:
                if other in seen:
                    continue
                seen.add(other)
                nxt.append(other)
                parent[other] = bus
                length = row.length_km / row.parallel
                r[other] = row.r_ohm_per_km * length / z_base
                x[other] = row.x_ohm_per_km * length / z_base
                if row.max_i_ka < NO_LIMIT_KA:
                    limit[other] = (row.max_i_ka * row.parallel / i_base_ka) ** 2
        frontier = nxt
    if len(lines) != n - 1 or len(seen) != n:
        raise FeederError(f"{name}: {len(lines)} in-service lines for {n} buses do not form one radial tree")
    p, q = [0.0] * n, [0.0] * n
    for row in net.load[net.load.in_service].itertuples():
        p[number[int(row.bus)]] += row.p_mw * row.scaling / net.sn_mva
        q[number[int(row.bus)]] += row.q_mvar * row.scaling / net.sn_mva
    vmin = [float(net.bus.min_vm_pu.loc[b]) for b in order]
    vmax = [float(net.bus.max_vm_pu.loc[b]) for b in order]
    v_root = float(net.ext_grid.vm_pu.iloc[0])
    vmin[0] = vmax[0] = v_root
    return Feeder(name, float(net.sn_mva), base_kv, tuple(parent), tuple(r), tuple(x), tuple(limit), tuple(vmin),
                  tuple(vmax), v_root, tuple(p), tuple(q))


def case33bw() -> Feeder:
    """Baran & Wu's 33-bus, 12.66 kV feeder: 3.715 MW and 2.3 MVAr of load on 32 lines (the tie lines open)."""
    return from_pandapower(require("pandapower.networks").case33bw(), "case33bw")


@dataclass(frozen=True, slots=True)
class BaseCase:
    """Pandapower's Newton-Raphson power flow of the feeder's own loads: the published base case."""

    supply_mw: float
    supply_mvar: float
    losses_mw: float
    vmin_pu: float


def base_case33bw() -> BaseCase:
    pp, net = require("pandapower"), require("pandapower.networks").case33bw()
    pp.runpp(net, numba=False)
    return BaseCase(float(net.res_ext_grid.p_mw.sum()), float(net.res_ext_grid.q_mvar.sum()),
                    float(net.res_line.pl_mw.sum()), float(net.res_bus.vm_pu.min()))
