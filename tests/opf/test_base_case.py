"""With every controllable device off, the DistFlow model with the cone relaxation is the feeder's AC power flow:
its substation supply and losses must match pandapower's Newton-Raphson base case of case33bw and of the SimBench
LV feeder (whose transformer is one more branch)."""

from __future__ import annotations

import pytest

from gridledger.common.opf import Feeder, Generator, Scenario
from gridledger.lab.opf.central import solve_central
from gridledger.lab.opf.feeders import base_case33bw, base_case_simbench_lv, case33bw, simbench_lv, simbench_lv_net


def _devices_off(feeder: Feeder):
    scenario = Scenario(feeder, 1, 1.0, Generator(0.0, 1.0, 0.0, 0.0, 10.0),
                        tuple((p,) for p in feeder.p_load), tuple((q,) for q in feeder.q_load))
    return solve_central(scenario)


def test_case33bw_devices_off_reproduces_the_base_case_power_flow() -> None:
    feeder = case33bw()
    assert (feeder.buses, sum(feeder.p_load) * feeder.base_mva) == (33, pytest.approx(3.715))
    solution = _devices_off(feeder)
    reference = base_case33bw()
    supply = solution.generation[0] * feeder.base_mva
    losses = supply - sum(feeder.p_load) * feeder.base_mva
    assert supply == pytest.approx(reference.supply_mw, rel=1e-3)  # the issue asks for 1%; the model does 0.1%
    assert losses == pytest.approx(reference.losses_mw, rel=1e-3)
    assert min(v[0] for v in solution.v) ** 0.5 == pytest.approx(reference.vmin_pu, abs=1e-4)
    assert reference.losses_mw == pytest.approx(0.2027, abs=1e-4)  # Baran & Wu's 202.7 kW, as pandapower computes


def test_simbench_lv_devices_off_reproduces_the_base_case_power_flow() -> None:
    net = simbench_lv_net()
    feeder = simbench_lv(net)
    # the 20 kV bus, the transformer to the LV busbar, 13 LV lines; 13 households, 80 kW of reference load
    assert (feeder.buses, feeder.base_mva, sum(p > 0 for p in feeder.p_load)) == (15, 0.16, 13)
    assert sum(feeder.p_load) * feeder.base_mva == pytest.approx(0.080)
    solution = _devices_off(feeder)
    reference = base_case_simbench_lv(net)
    supply = solution.generation[0] * feeder.base_mva
    assert supply == pytest.approx(reference.supply_mw, rel=1e-3)
    assert supply - sum(feeder.p_load) * feeder.base_mva == pytest.approx(reference.losses_mw, rel=1e-3)
    assert min(v[0] for v in solution.v) ** 0.5 == pytest.approx(reference.vmin_pu, abs=1e-4)
