"""Splitting the cleared volume over individual orders (neither the thesis nor dauction does this; we must, so that
every participant's traded energy and payment are on the ledger).

Each side is filled in price priority: orders strictly better than the marginal price level in full, the orders at
the marginal level pro rata to their quantities in whole Wh (largest remainder; remaining ties to the lower
participant id). Everything is integer arithmetic, so every peer computes the same split.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gridledger.common.market.orders import BUY, SELL, Order


@dataclass(frozen=True, slots=True)
class Allocation:
    """Wh bought and sold per participant (only participants that trade appear)."""

    bought: dict[str, int]
    sold: dict[str, int]

    def to_json(self) -> dict[str, dict[str, int]]:
        return {BUY: dict(sorted(self.bought.items())), SELL: dict(sorted(self.sold.items()))}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, int]]) -> Allocation:
        return cls(dict(data[BUY]), dict(data[SELL]))


def _pro_rata(orders: list[Order], amount: int) -> dict[str, int]:
    """`amount` Wh over `orders` proportionally to their quantities, by the largest-remainder method."""
    level_total = sum(order.quantity_wh for order in orders)
    shares = {order.participant: amount * order.quantity_wh // level_total for order in orders}
    leftover = amount - sum(shares.values())
    by_remainder = sorted(orders, key=lambda o: (-(amount * o.quantity_wh % level_total), o.participant))
    for order in by_remainder[:leftover]:
        shares[order.participant] += 1
    return shares


def fill_side(orders: Iterable[Order], volume_wh: int) -> dict[str, int]:
    """Allocate `volume_wh` over one side's orders in price priority; buys best-first by highest price, sells by
    lowest. The result sums to min(volume_wh, total offered)."""
    book = list(orders)
    if not book:
        return {}
    buying = book[0].side == BUY
    levels: dict[int, list[Order]] = {}
    for order in book:
        levels.setdefault(order.price, []).append(order)
    filled: dict[str, int] = {}
    remaining = volume_wh
    for price in sorted(levels, reverse=buying):
        if remaining <= 0:
            break
        level = levels[price]
        level_total = sum(order.quantity_wh for order in level)
        if level_total <= remaining:
            filled.update((order.participant, order.quantity_wh) for order in level)
            remaining -= level_total
        else:
            filled.update(_pro_rata(level, remaining))
            remaining = 0
    return {participant: wh for participant, wh in filled.items() if wh > 0}


def allocate(orders: Iterable[Order], volume_wh: int) -> Allocation:
    """Both sides' allocations of a cleared volume; each side sums exactly to `volume_wh` when clearing produced
    it (the clearing volume never exceeds what either side offers)."""
    book = list(orders)
    return Allocation(fill_side((o for o in book if o.side == BUY), volume_wh),
                      fill_side((o for o in book if o.side == SELL), volume_wh))
