"""Re-checking a slot from what the ledger's queries return: open and clear the sealed book again, settle again
from the stored readings, and compare field by field with what the chaincode stored. `gridledger market verify`
prints these checks; anyone holding the query results can run them without trusting the peer that answered.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.market.allocation import Allocation
from gridledger.common.market.book import SealedOrder, clear_slot
from gridledger.common.market.config import MarketConfig
from gridledger.common.market.settlement import Reading, settle


@dataclass(frozen=True, slots=True)
class Check:
    """One compared value: what the ledger holds and what the recomputation gives."""

    name: str
    ledger: object
    recomputed: object

    @property
    def ok(self) -> bool:
        return self.ledger == self.recomputed


def recheck_slot(config_json: dict, orders_json: dict, result: dict, allocations: dict,
                 settlement: dict | None = None) -> list[Check]:
    """Checks of a cleared slot (and of its settlement, if given) against a fresh computation.

    config_json is get_market's "config", orders_json get_orders', result get_result's, allocations
    get_allocations' and settlement get_settlement's answer.
    """
    config = MarketConfig.from_json(config_json)
    slot = result["slot"]
    slot_key = orders_json.get("slot_key")
    outcome = clear_slot(config, slot, [SealedOrder.from_json(o) for o in orders_json["orders"]],
                         None if slot_key is None else bytes.fromhex(slot_key))
    expected = outcome.result_json(config, slot)
    checks = [Check(name, result.get(name), expected[name]) for name in sorted(expected)]
    recomputed_allocations = outcome.allocation.to_json()
    checks += [Check(f"allocations.{side}", allocations.get(side), recomputed_allocations[side])
               for side in sorted(recomputed_allocations)]
    if settlement is not None:
        readings = {p: Reading(r["use_wh"], r["gen_wh"]) for p, r in settlement["readings"].items()}
        settled = settle(Allocation.from_json(recomputed_allocations), expected["price"], readings, config.lo,
                         config.hi).to_json()
        checks += [Check(f"settlement.{name}", settlement.get(name), settled[name]) for name in sorted(settled)]
    return checks
