"""The OPF and token chaincodes on the in-process ledger of tests/market/world.py, and one 4-bus ADMM run through
them to convergence, billed with three meters: the run the billing and verify tests share."""

from __future__ import annotations

import asyncio

from gridledger.chaincode.opf import OpfContract
from gridledger.chaincode.token import TokenContract
from gridledger.common.opf import AdmmConfig, Layout
from gridledger.common.opf.billing import BillingConfig
from gridledger.common.opf.codec import feeder_to_json, state_from_json
from gridledger.lab.opf.agent import LocalSolver
from gridledger.lab.opf.ledger_run import bill_run, iterate
from tests.dsm.inprocess import WorldContract
from tests.market.world import World, identity
from tests.opf.feeders import small_scenario

SCENARIO = small_scenario(steps=4, seed=1)
FEEDER = SCENARIO.feeder
LAYOUT = Layout.of(FEEDER, SCENARIO.steps)
CONFIG = AdmmConfig("y4", rho=100.0, eps_pri=1e-4, eps_dual=1e-2, max_iterations=400)
BILLING = BillingConfig(penalty_per_mwh=3 * 10**8)
OPERATOR = identity("operator", "admin")
METERED = (1, 2, 3)  # bus 0 (the substation's generator) has no meter: billed its schedule


def agents_of(world: World, role: str) -> list[WorldContract]:
    return [WorldContract(world, identity(f"{role}{bus}"), "opf") for bus in range(FEEDER.buses)]


def start(world: World, config: AdmmConfig) -> list[WorldContract]:
    world.ok(OPERATOR, "opf", "create_run", config.to_dict(), feeder_to_json(FEEDER), SCENARIO.steps)
    agents = agents_of(world, "agent")
    world.ok(OPERATOR, "opf", "register", config.run_id,
             [{"bus": bus, "fingerprint": a.creator.fingerprint} for bus, a in enumerate(agents)])
    return agents


def opf_world() -> World:
    """Both chaincodes, the token naming the OPF chaincode its settler."""
    world = World({"opf": OpfContract(), "token": TokenContract()})
    world.ok(OPERATOR, "token", "set_settler", "opf")
    return world


def billed_run() -> dict:
    """A converged run, billed with three meters reading their schedule +-5%."""
    world = opf_world()
    agents = start(world, CONFIG)
    solvers = [LocalSolver(SCENARIO, LAYOUT, bus, CONFIG.rho) for bus in range(FEEDER.buses)]
    operator = WorldContract(world, OPERATOR, "opf")
    rows = asyncio.run(iterate(operator, agents, solvers, CONFIG.run_id, CONFIG.max_iterations))
    meters = {bus: m for bus, m in enumerate(agents_of(world, "meter")) if bus in METERED}
    settled = asyncio.run(bill_run(operator, meters, {bus: m.creator.fingerprint for bus, m in meters.items()},
                                   CONFIG.run_id, BILLING, spread=0.05, seed=4))
    return {"world": world, "rows": rows, "settled": settled, "meters": meters,
            "billing": world.ok(OPERATOR, "opf", "get_billing", CONFIG.run_id),
            "state": state_from_json(world.ok(OPERATOR, "opf", "get_state", CONFIG.run_id))}
