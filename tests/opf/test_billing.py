"""Billing (contract S2) on the in-process ledger: a 4-bus ADMM run through the OPF chaincode, then prices and the
schedule from its converged state, meter readings and one settlement through the token chaincode. The prices
match the centralised problem's duals, the transfers sum as the paper describes (consumers pay the generator and
the network's surplus, penalties go to the grid), and bad readings leave the ledger as it was."""

from __future__ import annotations

import copy

import pytest

from gridledger.common.opf import AdmmConfig
from gridledger.common.opf.billing import account_of, bill, price_table, schedule_wh
from gridledger.lab.opf.central import solve_central
from tests.market.world import World, identity
from tests.opf.inprocess import (
    BILLING,
    CONFIG,
    FEEDER,
    LAYOUT,
    METERED,
    OPERATOR,
    SCENARIO,
    agents_of,
    opf_world,
    start,
)


def test_prices_from_the_converged_state_are_the_centralised_duals(billed: dict) -> None:
    assert billed["rows"][-1]["converged"] and billed["billing"]["iteration"] == len(billed["rows"])
    central = solve_central(SCENARIO)
    per_mwh = BILLING.tokens_per_unit
    for bus in range(FEEDER.buses):  # buses 0 and 1 from their child-flow duals, leaves 2 and 3 by marginal loss
        for t in range(SCENARIO.steps):
            assert billed["billing"]["prices"][bus][t] / per_mwh == pytest.approx(central.prices[bus][t], rel=5e-4)
    # the leaves' loss factor is what separates them from their parent, and the ledger sees it
    assert all(billed["billing"]["prices"][2][t] > billed["billing"]["prices"][1][t] for t in range(SCENARIO.steps))
    wh = FEEDER.base_mva * 1e6 * SCENARIO.dt_hours
    for bus in range(1, FEEDER.buses):
        scheduled = sum(billed["billing"]["schedule"][bus])
        assert scheduled == pytest.approx(sum(central.withdrawal[bus]) * wh, rel=0.01)
    generated = sum(central.generation) * wh
    assert -sum(billed["billing"]["schedule"][0]) == pytest.approx(generated, rel=0.01)


def test_every_endorser_computes_the_same_bill_from_the_state(billed: dict) -> None:
    """The pure functions, run again here, give the chaincode's integers (and again, the same ones)."""
    state = billed["state"]
    for _ in range(2):
        assert [list(r) for r in price_table(FEEDER, LAYOUT, BILLING, state)] == billed["billing"]["prices"]
        assert [list(r) for r in schedule_wh(FEEDER, LAYOUT, state)] == billed["billing"]["schedule"]
    world = billed["world"]
    readings = {bus: tuple(world.ok(OPERATOR, "opf", "get_reading", CONFIG.run_id, bus)) for bus in METERED}
    again = bill(tuple(map(tuple, billed["billing"]["prices"])), tuple(map(tuple, billed["billing"]["schedule"])),
                 readings, BILLING.penalty_per_mwh)
    assert again.to_dict().items() <= billed["settled"].items()


def test_payments_and_penalties_sum_as_the_paper_describes(billed: dict) -> None:
    settled, billing, world = billed["settled"], billed["billing"], billed["world"]
    payments, penalties = settled["payments"], settled["penalties"]
    transfers = settled["transfers"]
    assert sum(transfers.values()) == 0
    # the generator at the substation is paid its output at its nodal price; every other bus pays
    revenue = -payments[0]
    expected = sum(p * e for p, e in zip(billing["prices"][0], billing["schedule"][0], strict=True)) / 10**6
    assert revenue == pytest.approx(-expected, abs=1) and revenue > 0
    assert all(pay > 0 for pay in payments[1:])
    # consumers pay the generator plus the network's surplus (losses valued at nodal prices), which is small
    surplus = sum(payments[1:]) - revenue
    assert 0 < surplus < 0.02 * revenue
    # penalties: the rate times each meter's deviation; the unmetered substation pays none
    assert settled["unmetered"] == [0] and penalties[0] == 0 and settled["deviations_wh"][0] == 0
    for bus in METERED:
        reading = world.ok(OPERATOR, "opf", "get_reading", CONFIG.run_id, bus)
        deviation = sum(abs(m - e) for m, e in zip(reading, billing["schedule"][bus], strict=True))
        assert deviation > 0 and settled["deviations_wh"][bus] == deviation
        assert penalties[bus] == round(deviation * BILLING.penalty_per_mwh / 10**6)
    # the token accounts moved exactly so: buses down by payment + penalty, the grid up by surplus + penalties
    for bus in range(FEEDER.buses):
        balance = world.ok(OPERATOR, "token", "balance", account_of(CONFIG.run_id, bus))
        assert balance == -(payments[bus] + penalties[bus])
    assert world.ok(OPERATOR, "token", "balance", "grid") == surplus + sum(penalties)


def _refused(world: World, creator, function: str, *args: object) -> str:
    before = copy.deepcopy(world.state)
    response = world.call(creator, "opf", function, *args)
    assert not response.ok and world.state == before, function
    return f"{response.status} {response.message}"


def _converged_with_meter(world: World) -> None:
    """A run converged in one iteration (every copy agrees with the flat start; prices zero), billing open with a
    meter at bus 1."""
    start(world, CONFIG)
    for bus, agent in enumerate(agents_of(world, "agent")):
        target = world.ok(agent.creator, "opf", "target", CONFIG.run_id, bus)["target"]
        world.ok(agent.creator, "opf", "submit_copy", CONFIG.run_id, 1, bus, target)
    assert world.ok(OPERATOR, "opf", "close_iteration", CONFIG.run_id, 1)["converged"]
    world.ok(OPERATOR, "opf", "open_billing", CONFIG.run_id, BILLING.to_dict(),
             [{"bus": 1, "fingerprint": identity("meter1").fingerprint}])


@pytest.mark.parametrize(("bus", "reading", "message"), [
    (1, [0, 0, 0], "400 bus 1's reading must have 4 entries (Wh per step), got 3"),
    (1, '"abcd"', "400 bus 1's reading must have 4 entries (Wh per step), got str"),
    (1, "[0, NaN, 0, 0]", "400 bus 1's reading at step 1 must be an integer of Wh, got nan"),
    (1, "[Infinity, 0, 0, 0]", "400 bus 1's reading at step 0 must be an integer of Wh, got inf"),
    (1, [0.5, 0, 0, 0], "400 bus 1's reading at step 0 must be an integer of Wh, got 0.5"),
    (1, [0, 0, 0, 6 * 10**10 + 1], "400 bus 1's reading at step 3 = 60000000001 Wh is beyond 60000000000 Wh"),
    (4, [0, 0, 0, 0], "400 bus 4 is not a bus of the run's feeder (0..3)"),
])
def test_bad_readings_are_refused_and_write_nothing(bus: int, reading: object, message: str) -> None:
    world = opf_world()
    _converged_with_meter(world)
    meter = identity("meter1")
    assert _refused(world, meter, "submit_reading", CONFIG.run_id, bus, reading) == message


def test_a_reading_at_the_bound_is_taken() -> None:
    """The bound of the refusal above is one step's 1000 pu at 10 MVA over 6 h, inclusive."""
    world = opf_world()
    _converged_with_meter(world)
    assert world.ok(identity("meter1"), "opf", "submit_reading", CONFIG.run_id, 1, [0, 0, 0, -6 * 10**10]) == {
        "bus": 1, "deviation_wh": 6 * 10**10}


def test_unregistered_late_and_early_calls_are_refused(billed: dict) -> None:
    world = billed["world"]
    schedule = billed["billing"]["schedule"][0]
    agent = identity("agent0")
    assert _refused(world, agent, "submit_reading", CONFIG.run_id, 0, schedule) == (
        "403 the submitter is not the meter registered at bus 0 of run 'y4'")
    assert _refused(world, billed["meters"][1].creator, "submit_reading", CONFIG.run_id, 2, schedule) == (
        "403 the submitter is not the meter registered at bus 2 of run 'y4'")
    assert _refused(world, billed["meters"][1].creator, "submit_reading", CONFIG.run_id, 1, schedule) == (
        "409 billing of run 'y4' is settled: bus 1's reading is late")
    assert _refused(world, OPERATOR, "settle", CONFIG.run_id) == "409 billing of run 'y4' is already settled"
    assert _refused(world, OPERATOR, "open_billing", CONFIG.run_id, {}, []).startswith("409 billing of run 'y4' is")
    assert _refused(world, agent, "settle", CONFIG.run_id).startswith("403 only an admin of Org1MSP")
    # a run that has not converged has no schedule to bill
    early = AdmmConfig("early", rho=100.0, eps_pri=1e-4, eps_dual=1e-2)
    start(world, early)
    assert _refused(world, OPERATOR, "open_billing", "early", {}, []) == (
        "400 the run has not converged (iteration 0): there is no schedule to bill")
    assert _refused(world, OPERATOR, "open_billing", "early", {"penalty_per_mwh": -1}, []).startswith(
        "400 penalty_per_mwh must be an integer in 0..")
