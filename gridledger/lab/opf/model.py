"""One bus of the paper's problem (10) as CVXPY constraints: its devices, its nodal balances (1a, 1b), its line's
voltage drop (1c) and relaxed current (2), and its limits (3). The centralised reference hands every bus the same
global variables; an agent hands its bus local copies and adds the ADMM penalty (15). One description, two uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridledger.common.opf import PV, Battery, Deferrable, Layout, Scenario, Shapable
from gridledger.common.opf.layout import P, Q, V
from gridledger.lab.opf.solvers import require


@dataclass
class BusModel:
    """The bus's constraints, its cost (the generator's, at the substation) and the expressions the results read."""

    constraints: list
    cost: object  # a cvxpy expression, money over the day
    balance: object  # the real-power balance constraint: its dual is the nodal price
    generation: object | None  # the substation's generator output, pu per step
    withdrawal: object  # the bus's net real withdrawal (load + devices), pu per step


def copy_names(layout: Layout, bus: int) -> list[tuple[str, int]]:
    return [layout.names[block] for block in layout.blocks[bus]]


def build_bus(scenario: Scenario, bus: int, coupling: dict[tuple[str, int], object]) -> BusModel:
    """`coupling` maps each (P|Q|v, bus) this bus's copy names (Layout) to a cvxpy vector over the steps."""
    cp = require("cvxpy")
    feeder, steps, dt = scenario.feeder, scenario.steps, scenario.dt_hours
    constraints: list = []
    injection = 0
    for device in scenario.at(bus):
        injection = injection + _device(cp, device, steps, dt, constraints)
    withdrawal = cp.hstack([scenario.p_load[bus][t] for t in range(steps)]) - injection
    out_p = sum((coupling[(P, k)] for k in feeder.children(bus)), start=cp.Constant(0.0))
    out_q = sum((coupling[(Q, k)] for k in feeder.children(bus)), start=cp.Constant(0.0))
    v = coupling[(V, bus)]
    if bus == 0:
        gen = scenario.generator
        g = cp.Variable(steps, name="generation")
        constraints += [g >= gen.pmin, g <= gen.pmax, v == feeder.v_root**2]
        balance = g - withdrawal - out_p == 0
        constraints.append(balance)  # reactive power at the substation is free: no Q balance binds there
        mw = g * feeder.base_mva
        cost = dt * (gen.a * cp.sum_squares(mw) + gen.b * cp.sum(mw) + gen.c * steps)
        return BusModel(constraints, cost, balance, g, withdrawal)
    r, x = feeder.r[bus], feeder.x[bus]
    p_in, q_in, v_up = coupling[(P, bus)], coupling[(Q, bus)], coupling[(V, feeder.parent[bus])]
    current = cp.Variable(steps, nonneg=True, name=f"l{bus}")
    balance = p_in - r * current - out_p - withdrawal == 0
    constraints += [
        balance,
        q_in - x * current - out_q - cp.hstack([scenario.q_load[bus][t] for t in range(steps)]) == 0,
        v == v_up - 2 * (r * p_in + x * q_in) + (r * r + x * x) * current,
        cp.SOC(current + v_up, cp.vstack([2 * p_in, 2 * q_in, current - v_up]), axis=0),
        v >= feeder.vmin[bus] ** 2, v <= feeder.vmax[bus] ** 2,
    ]
    if math.isfinite(feeder.line_limit[bus]):
        constraints.append(current <= feeder.line_limit[bus])
    return BusModel(constraints, cp.Constant(0.0), balance, None, withdrawal)


def _device(cp, device, steps: int, dt: float, constraints: list):
    """The device's real-power injection (negative for consumption) as a cvxpy expression, its constraints
    appended."""
    if isinstance(device, PV):
        s = cp.Variable(steps, nonneg=True)
        constraints.append(s <= list(device.available))
        return s
    if isinstance(device, Battery):
        c, d = cp.Variable(steps, nonneg=True), cp.Variable(steps, nonneg=True)
        energy = device.e_start + cp.cumsum(c * (device.eta_in * dt) - d * (dt / device.eta_out))
        constraints += [c <= device.p_charge, d <= device.p_discharge, energy >= device.e_min,
                        energy <= device.e_max, cp.abs(energy[steps - 1] - device.e_start) <= device.epsilon *
                        device.e_start]
        return d - c
    if isinstance(device, Shapable):
        s = cp.Variable(steps, nonneg=True)
        mask = [1.0 if device.start <= t < device.end else 0.0 for t in range(steps)]
        constraints += [s <= [device.p_max * m for m in mask], cp.sum(s) * dt == device.energy]
        return -s
    if isinstance(device, Deferrable):
        starts = list(device.starts(steps))
        w = cp.Variable(len(starts), nonneg=True)
        shifted = [[device.profile[t - k] if 0 <= t - k < len(device.profile) else 0.0 for k in starts]
                   for t in range(steps)]
        constraints.append(cp.sum(w) == 1)
        return -(require("numpy").array(shifted) @ w)
    raise TypeError(f"no model for {type(device).__name__}")
