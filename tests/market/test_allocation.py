"""Allocation properties: both sides sum to the cleared volume, nobody gets more than asked, price priority holds,
and the marginal split is pro rata in whole Wh."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gridledger.common.market.allocation import allocate, fill_side
from gridledger.common.market.clearing import clear
from gridledger.common.market.orders import Order


def orders_from(buys: list[tuple[int, int]], sells: list[tuple[int, int]]) -> list[Order]:
    return ([Order(f"h{i:02d}", "buy", q, p) for i, (p, q) in enumerate(buys)]
            + [Order(f"h{i:02d}", "sell", q, p) for i, (p, q) in enumerate(sells)])


side = st.lists(st.tuples(st.integers(3400, 3410), st.integers(1, 5000)), max_size=12)


@given(side, side)
def test_allocations_sum_to_the_volume_and_respect_orders_and_price_priority(buys, sells) -> None:
    orders = orders_from(buys, sells)
    result = clear(orders)
    allocation = allocate(orders, result.volume_wh)
    assert sum(allocation.bought.values()) == result.volume_wh
    assert sum(allocation.sold.values()) == result.volume_wh
    for side_name, filled, better in (("buy", allocation.bought, lambda a, b: a > b),
                                      ("sell", allocation.sold, lambda a, b: a < b)):
        mine = [o for o in orders if o.side == side_name]
        for order in mine:
            got = filled.get(order.participant, 0)
            assert 0 <= got <= order.quantity_wh
            if got:  # anyone strictly better priced than a filled order is filled in full
                assert all(filled.get(o.participant, 0) == o.quantity_wh for o in mine if better(o.price, order.price))
            if result.price is not None and got:  # individually rational at the uniform price
                assert (order.price >= result.price) if side_name == "buy" else (order.price <= result.price)


def test_marginal_level_is_shared_pro_rata_with_largest_remainders_then_participant_id() -> None:
    level = [Order("c", "buy", 1, 5000), Order("a", "buy", 1, 5000), Order("b", "buy", 1, 5000)]
    assert fill_side(level, 2) == {"a": 1, "b": 1}  # equal remainders: the lower ids get the Wh
    uneven = [Order("x", "sell", 3, 4000), Order("y", "sell", 1, 4000), Order("z", "sell", 10, 3000)]
    assert fill_side(uneven, 12) == {"z": 10, "x": 2}  # 2 Wh over 3:1 -> 1.5, 0.5 -> x wins the remainder by id
    assert fill_side([], 5) == {}
