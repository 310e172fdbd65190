"""Clearing: the dauction test vectors, the thesis example, each tie rule, edge cases, and the fast algorithm
against a literal reading of the rule (every pair of price levels)."""

from __future__ import annotations

from fractions import Fraction
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridledger.common.market.clearing import AVERAGE, HIGHEST, LOWEST, NO_TRADE, TIE_RULES, Clearing, clear
from gridledger.common.market.orders import Order

_ids = count()


def book(buys: list[tuple[int, int]], sells: list[tuple[int, int]]) -> list[Order]:
    """Orders from (price in mc/kWh, quantity in Wh) pairs, one participant each."""
    return ([Order(f"b{next(_ids)}", "buy", q, p) for p, q in buys]
            + [Order(f"s{next(_ids)}", "sell", q, p) for p, q in sells])


# shared/domain/market.md: c/kWh x kWh -> price, kWh; here mc/kWh x kWh (units scale, prices are x1000)
VECTORS = [
    ([(10000, 1)], [(8000, 1)], 9000, 1),
    ([(10000, 4)], [(9000, 2)], 9500, 2),
    ([(6500, 2), (10000, 2)], [(6000, 2)], 8000, 2),
    ([(6500, 2), (10000, 2)], [(6500, 2), (11000, 2)], 8250, 2),
    ([(8000, 2), (10000, 2)], [(6000, 1), (9000, 1)], 9500, 2),
]


@pytest.mark.parametrize(("buys", "sells", "price", "volume"), VECTORS)
def test_dauction_vectors_with_the_highest_rule(buys, sells, price, volume) -> None:
    assert clear(book(buys, sells), HIGHEST) == Clearing(volume, price)


def test_thesis_figure_3_1_clears_two_kwh_at_6_5_cents() -> None:
    orders = book([(11000, 1000), (7000, 2000)], [(5000, 1000), (6000, 1000)])
    for rule in TIE_RULES:
        assert clear(orders, rule) == Clearing(2000, 6500)


@pytest.mark.parametrize(("vector", "average", "lowest"), [(2, 7125, 6250), (3, 7375, 6500)])
def test_average_and_lowest_rules_on_tied_vectors(vector: int, average: int, lowest: int) -> None:
    buys, sells, highest, volume = VECTORS[vector]
    orders = book(buys, sells)
    assert clear(orders, AVERAGE) == Clearing(volume, average)  # mean of the tied midpoints (8 and 6.25 c)
    assert clear(orders, LOWEST) == Clearing(volume, lowest)
    assert clear(orders, HIGHEST) == Clearing(volume, highest)
    assert clear(orders) == clear(orders, AVERAGE)  # the thesis rule is the default


def test_midpoint_of_odd_prices_rounds_half_to_even() -> None:
    assert clear(book([(10001, 1)], [(10000, 1)])).price == 10000  # 10000.5 -> even
    assert clear(book([(10003, 1)], [(10000, 1)])).price == 10002  # 10001.5 -> even


def test_empty_and_one_sided_books_do_not_trade() -> None:
    assert clear([]) == NO_TRADE
    assert clear(book([(9000, 5)], [])) == NO_TRADE
    assert clear(book([], [(9000, 5)])) == NO_TRADE


def test_no_trade_when_the_best_bid_is_below_the_best_ask_and_equal_prices_trade() -> None:
    assert clear(book([(7999, 5)], [(8000, 5)])) == NO_TRADE
    assert clear(book([(8000, 5)], [(8000, 3)])) == Clearing(3, 8000)


def test_unknown_tie_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="tie rule"):
        clear([], "median")


def literal_clear(orders: list[Order], rule: str) -> Clearing:
    """docs/market.md read word for word: every (buy price, sell price) pair with b >= s."""
    buys = sorted({o.price for o in orders if o.side == "buy"})
    sells = sorted({o.price for o in orders if o.side == "sell"})
    candidates = []
    for b in buys:
        for s in sells:
            if b >= s:
                demand = sum(o.quantity_wh for o in orders if o.side == "buy" and o.price >= b)
                supply = sum(o.quantity_wh for o in orders if o.side == "sell" and o.price <= s)
                candidates.append((min(demand, supply), Fraction(b + s, 2)))
    if not candidates:
        return NO_TRADE
    volume = max(v for v, _ in candidates)
    prices = [p for v, p in candidates if v == volume]
    chosen = {AVERAGE: sum(prices) / len(prices), HIGHEST: max(prices), LOWEST: min(prices)}[rule]
    return Clearing(volume, round(chosen))


side_orders = st.lists(st.tuples(st.integers(3400, 3420), st.integers(1, 50)), max_size=8)


@given(side_orders, side_orders, st.sampled_from(TIE_RULES))
def test_fast_clearing_equals_the_literal_rule(buys, sells, rule) -> None:
    orders = book(buys, sells)
    assert clear(orders, rule) == literal_clear(orders, rule)
