"""Feeders from open data, read through pandapower: the Baran & Wu 33-bus feeder it ships (case33bw) and a SimBench
low-voltage feeder (its MV/LV transformer as one more branch), and the base-case AC power flow pandapower computes
on the same data (the reference the DistFlow model must reproduce).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridledger.common.opf import Feeder, FeederError
from gridledger.lab.opf.solvers import require

NO_LIMIT_KA = 99999.0  # pandapower's placeholder for a line without a current rating
SIMBENCH_LV = "1-LV-rural1--0-sw"  # 14 LV buses, 13 households, a 160 kVA 20/0.4 kV transformer


@dataclass(frozen=True, slots=True)
class _Branch:
    a: int  # pandapower bus ids
    b: int
    r: float  # per-unit on the feeder's base
    x: float
    limit: float  # squared current, per-unit; math.inf for none


def _line_branches(net, base_mva: float) -> list[_Branch]:
    """In-service lines, per-unit on the voltage level of their from-bus."""
    branches = []
    for row in net.line[net.line.in_service].itertuples():
        kv = float(net.bus.vn_kv.loc[row.from_bus])
        z_base, i_base_ka = kv**2 / base_mva, base_mva / (math.sqrt(3) * kv)
        length = row.length_km / row.parallel
        limit = (row.max_i_ka * row.parallel / i_base_ka) ** 2 if row.max_i_ka < NO_LIMIT_KA else math.inf
        branches.append(_Branch(int(row.from_bus), int(row.to_bus), row.r_ohm_per_km * length / z_base,
                                row.x_ohm_per_km * length / z_base, limit))
    return branches


def _transformer_branches(net, base_mva: float) -> list[_Branch]:
    """In-service two-winding transformers as series branches: the short-circuit impedance (vk, vkr) moved from
    the transformer's rating to the feeder's base, its rating as the current limit at 1 pu. The magnetising branch
    (pfe, i0) has no place in the branch model and is refused: callers remove it (and so does their reference
    power flow). Only transformers at their nominal ratio, rated as their buses, are read (a tap would need a
    ratio in the model)."""
    branches = []
    for row in net.trafo[net.trafo.in_service].itertuples():
        if row.pfe_kw or row.i0_percent:
            raise FeederError(f"transformer {row.Index} has a magnetising branch (pfe_kw, i0_percent); the DistFlow "
                              "model has no shunts")
        rated = (float(net.bus.vn_kv.loc[row.hv_bus]), float(net.bus.vn_kv.loc[row.lv_bus]))
        if (row.vn_hv_kv, row.vn_lv_kv) != rated or (not math.isnan(row.tap_pos) and row.tap_pos != row.tap_neutral):
            raise FeederError(f"transformer {row.Index} is off its nominal ratio; the DistFlow model has no taps")
        scale = base_mva / (row.sn_mva * row.parallel)
        r, z = row.vkr_percent / 100 * scale, row.vk_percent / 100 * scale
        branches.append(_Branch(int(row.hv_bus), int(row.lv_bus), r, math.sqrt(z * z - r * r),
                                (row.sn_mva * row.parallel / base_mva) ** 2))
    return branches


def from_pandapower(net, name: str, base_mva: float | None = None) -> Feeder:
    """Per-unit on (base_mva, default net.sn_mva; each voltage level's own kV) from the in-service lines and
    transformers; bus 0 is the external grid's bus, the others numbered in pandapower's bus-table order."""
    if len(net.ext_grid) != 1 or len(net.trafo3w):
        raise FeederError(f"{name}: only feeders with one external grid and no three-winding transformers are read")
    base = float(base_mva or net.sn_mva)
    root = int(net.ext_grid.bus.iloc[0])
    order = [root, *[int(b) for b in net.bus.index if int(b) != root]]
    number = {bus: i for i, bus in enumerate(order)}
    loads = net.load[net.load.in_service]
    p_at: dict[int, float] = {}
    q_at: dict[int, float] = {}
    for row in loads.itertuples():
        p_at[int(row.bus)] = p_at.get(int(row.bus), 0.0) + row.p_mw * row.scaling / base
        q_at[int(row.bus)] = q_at.get(int(row.bus), 0.0) + row.q_mvar * row.scaling / base
    branches = _line_branches(net, base) + _transformer_branches(net, base)
    n = len(order)
    parent, r, x, limit = [-1] * n, [0.0] * n, [0.0] * n, [math.inf] * n
    adjacent: dict[int, list[tuple[int, _Branch]]] = {i: [] for i in range(n)}
    for branch in branches:
        a, b = number[branch.a], number[branch.b]
        adjacent[a].append((b, branch))
        adjacent[b].append((a, branch))
    seen, frontier = {0}, [0]
    while frontier:  # orient each branch away from the substation
        nxt = []
        for bus in frontier:
            for other, branch in adjacent[bus]:
                if other in seen:
                    continue
                seen.add(other)
                nxt.append(other)
                parent[other], r[other], x[other], limit[other] = bus, branch.r, branch.x, branch.limit
        frontier = nxt
    if len(branches) != n - 1 or len(seen) != n:
        raise FeederError(f"{name}: {len(branches)} in-service branches for {n} buses do not form one radial tree")
    vmin = [float(net.bus.min_vm_pu.loc[b]) for b in order]
    vmax = [float(net.bus.max_vm_pu.loc[b]) for b in order]
    v_root = float(net.ext_grid.vm_pu.iloc[0])
    vmin[0] = vmax[0] = v_root
    return Feeder(name, base, float(net.bus.vn_kv.loc[root]), tuple(parent), tuple(r), tuple(x), tuple(limit),
                  tuple(vmin), tuple(vmax), v_root, tuple(p_at.get(b, 0.0) for b in order),
                  tuple(q_at.get(b, 0.0) for b in order))


def case33bw() -> Feeder:
    """Baran & Wu's 33-bus, 12.66 kV feeder: 3.715 MW and 2.3 MVAr of load on 32 lines (the tie lines open)."""
    return from_pandapower(require("pandapower.networks").case33bw(), "case33bw")


def simbench_lv_net():
    """SimBench's LV grid with its PV (sgen) out of service (the devices the scenario places stand for them) and
    its transformer's no-load losses removed (0.46 kW of iron loss, 0.6% of the base case's supply: a shunt the
    branch model does not have; the reference power flow leaves them out too)."""
    net = require("simbench").get_simbench_net(SIMBENCH_LV)
    net.sgen["in_service"] = False
    net.trafo["pfe_kw"] = 0.0
    net.trafo["i0_percent"] = 0.0
    return net


def simbench_lv(net=None) -> Feeder:
    """SimBench's rural LV grid 1-LV-rural1 below its 20 kV bus, per-unit on the transformer's 0.16 MVA (so
    household flows are tenths of a per-unit, as case33bw's are on its base); `net`: simbench_lv_net() already
    loaded (reading it takes seconds)."""
    net = net if net is not None else simbench_lv_net()
    return from_pandapower(net, "simbench-lv", float(net.trafo.sn_mva.sum()))


@dataclass(frozen=True, slots=True)
class BaseCase:
    """Pandapower's Newton-Raphson power flow of the feeder's own loads: the published base case."""

    supply_mw: float
    supply_mvar: float
    losses_mw: float
    vmin_pu: float


def base_case33bw() -> BaseCase:
    return _base_case(require("pandapower.networks").case33bw())


def base_case_simbench_lv(net=None) -> BaseCase:
    return _base_case(net if net is not None else simbench_lv_net())


def _base_case(net) -> BaseCase:
    pp = require("pandapower")
    pp.runpp(net, numba=False)
    return BaseCase(float(net.res_ext_grid.p_mw.sum()), float(net.res_ext_grid.q_mvar.sum()),
                    float(net.res_line.pl_mw.sum() + net.res_trafo.pl_mw.sum()), float(net.res_bus.vm_pu.min()))
