"""Settlement: internal payments net to zero, all transfers including the grid net to zero, and the grid
absorbs every deviation at the right price."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gridledger.common.market.allocation import Allocation, allocate
from gridledger.common.market.clearing import clear
from gridledger.common.market.orders import Order
from gridledger.common.market.settlement import GRID, Reading, settle

LO, HI = 3400, 10840


def test_a_buyer_short_of_its_use_imports_at_hi_and_a_seller_short_of_its_sale_too() -> None:
    allocation = Allocation({"a": 1000}, {"c": 1000})
    settled = settle(allocation, 6500, {"a": Reading(1500, 0), "c": Reading(0, 900)}, LO, HI)
    assert settled.lines["a"].net == -6500 * 1000 - HI * 500
    assert settled.lines["c"].net == 6500 * 1000 - HI * 100
    assert settled.transfers[GRID] == HI * 600
    assert sum(settled.transfers.values()) == 0


def test_surplus_is_exported_at_lo_and_missing_readings_are_counted() -> None:
    settled = settle(Allocation({"a": 10}, {"b": 10}), 5000, {"b": Reading(0, 30), "d": Reading(0, 7)}, LO, HI)
    assert settled.lines["b"].grid == LO * 20 and settled.lines["d"].grid == LO * 7
    assert settled.lines["a"].reading_missing and settled.lines["a"].grid == 0
    assert settled.missing_readings == 1


def test_no_trade_sends_everything_to_the_grid() -> None:
    settled = settle(Allocation({}, {}), None, {"a": Reading(100, 0), "b": Reading(0, 100)}, LO, HI)
    assert settled.transfers == {"a": -HI * 100, "b": LO * 100, GRID: HI * 100 - LO * 100}


orders = st.lists(st.tuples(st.sampled_from(["buy", "sell"]), st.integers(1, 5000), st.integers(3401, 10840)),
                  max_size=10)
readings = st.dictionaries(st.sampled_from([f"h{i}" for i in range(12)]),
                           st.tuples(st.integers(0, 6000), st.integers(0, 6000)), max_size=12)


@given(orders, readings)
def test_payments_net_to_zero_every_slot(raw_orders, raw_readings) -> None:
    book = [Order(f"h{i}", side, q, p) for i, (side, q, p) in enumerate(raw_orders)]
    result = clear(book)
    allocation = allocate(book, result.volume_wh)
    settled = settle(allocation, result.price, {h: Reading(u, g) for h, (u, g) in raw_readings.items()}, LO, HI)
    assert sum(line.market for line in settled.lines.values()) == 0
    assert sum(settled.transfers.values()) == 0
    assert settled.transfers.get(GRID, 0) == -sum(line.grid for line in settled.lines.values())
