"""The uniform-price double auction of `dauction`: the volume-maximising price, with the tie rule made explicit.

D(b) is the demand at buy price b or more, S(s) the supply at sell price s or less. Every pair of price levels with
b >= s offers volume min(D(b), S(s)) at the midpoint (b + s) / 2; the largest volume wins, and the tie rule picks the
price among the pairs that reach it. Instead of trying every pair, this walks the buy levels once: because S grows
with s, the pairs of one buy level that reach the volume V are a contiguous run of sell levels, whose midpoints
are summed with prefix sums. Prices are exact fractions until one final half-even rounding to whole mc/kWh.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate

from gridledger.common.market.orders import BUY, Order

AVERAGE = "average"
HIGHEST = "highest"
LOWEST = "lowest"
TIE_RULES = (AVERAGE, HIGHEST, LOWEST)


@dataclass(frozen=True, slots=True)
class Clearing:
    """The cleared volume (Wh) and uniform price (mc/kWh; None when nothing trades)."""

    volume_wh: int
    price: int | None


NO_TRADE = Clearing(0, None)


def _levels(orders: Iterable[Order]) -> tuple[list[int], list[int]]:
    """Distinct prices ascending and the quantity offered at each."""
    totals: dict[int, int] = {}
    for order in orders:
        totals[order.price] = totals.get(order.price, 0) + order.quantity_wh
    prices = sorted(totals)
    return prices, [totals[price] for price in prices]


def clear(orders: Iterable[Order], tie_rule: str = AVERAGE) -> Clearing:
    """Clear one slot's orders; no trade when a side is empty or the best bid is below the best ask."""
    if tie_rule not in TIE_RULES:
        raise ValueError(f"tie rule must be one of {', '.join(TIE_RULES)}, got {tie_rule!r}")
    book = list(orders)
    buy_prices, buy_qty = _levels(o for o in book if o.side == BUY)
    sell_prices, sell_qty = _levels(o for o in book if o.side != BUY)
    if not buy_prices or not sell_prices or buy_prices[-1] < sell_prices[0]:
        return NO_TRADE
    demand = list(accumulate(reversed(buy_qty)))[::-1]  # demand[i] = D(buy_prices[i])
    supply = list(accumulate(sell_qty))  # supply[j] = S(sell_prices[j])
    volume = 0
    for price, wanted in zip(buy_prices, demand, strict=True):
        affordable = bisect_right(sell_prices, price)  # sell levels s <= price
        if affordable:
            volume = max(volume, min(wanted, supply[affordable - 1]))
    first_supplied = bisect_left(supply, volume)  # the lowest sell level with S(s) >= volume
    sell_sums = [0, *accumulate(sell_prices)]
    total, count, midpoints = Fraction(0), 0, []  # midpoints: each run's lowest and highest
    for price, wanted in zip(buy_prices, demand, strict=True):
        last = bisect_right(sell_prices, price)
        if wanted < volume or last <= first_supplied:
            continue
        pairs = last - first_supplied
        total += Fraction(pairs * price + sell_sums[last] - sell_sums[first_supplied], 2)
        count += pairs
        midpoints += [Fraction(price + sell_prices[first_supplied], 2), Fraction(price + sell_prices[last - 1], 2)]
    # volume > 0 here (the best bid meets the best ask), so at least one pair reaches it
    if tie_rule == AVERAGE:
        return Clearing(volume, round(total / count))
    return Clearing(volume, round(max(midpoints) if tie_rule == HIGHEST else min(midpoints)))
