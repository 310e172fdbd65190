"""`market verify`'s recomputation: it agrees with what the chaincode stored, and catches a tampered record."""

from __future__ import annotations

from gridledger.common.market.recheck import recheck_slot
from tests.market.scenario import UTILITY, MarketScenario


def settled_slot() -> MarketScenario:
    market = MarketScenario(["A", "B", "C", "D", "E"])
    for household, side, quantity, price in [("A", "buy", 1000, 11000), ("B", "buy", 2000, 7000),
                                             ("C", "sell", 1000, 5000), ("D", "sell", 1000, 6000),
                                             ("E", "sell", 700, 6000)]:
        assert market.bid(household, side, quantity, price).ok
    market.to_reveal_phase()
    market.reveal_all()
    market.clear()
    market.ok(market.meter("A"), "report", 0, 1200, 0)
    market.ok(market.meter("E"), "report", 0, 0, 300)
    market.settle()
    return market


def ledger_answers(market: MarketScenario) -> tuple[dict, dict, dict, dict, dict]:
    return (market.ok(UTILITY, "get_market")["config"], market.ok(UTILITY, "get_orders", 0),  # type: ignore[index]
            market.ok(UTILITY, "get_result", 0), market.ok(UTILITY, "get_allocations", 0),
            market.ok(UTILITY, "get_settlement", 0))  # type: ignore[return-value]


def test_recomputation_agrees_with_the_chaincode() -> None:
    checks = recheck_slot(*ledger_answers(settled_slot()))
    assert checks and all(check.ok for check in checks)
    assert {"price", "allocations.buy", "settlement.transfers"} <= {check.name for check in checks}


def test_a_tampered_result_or_allocation_is_caught() -> None:
    config, orders, result, allocations, settlement = ledger_answers(settled_slot())
    bad_price = recheck_slot(config, orders, {**result, "price": result["price"] + 1}, allocations)
    assert [check.name for check in bad_price if not check.ok] == ["price"]
    shifted = {**allocations, "sell": {**allocations["sell"], "E": allocations["sell"]["E"] + 1}}
    assert [c.name for c in recheck_slot(config, orders, result, shifted) if not c.ok] == ["allocations.sell"]
    dropped = {**orders, "orders": orders["orders"][1:]}
    assert not all(check.ok for check in recheck_slot(config, dropped, result, allocations, settlement))
