"""Bidding strategies: what a prosumer offers for a slot, given its forecast and the grid's prices.

The forecast is perfect (the trace's own values), as in the thesis' case study, so differences between runs come
from the blockchain layer and the strategy, not from forecasting error.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Offer:
    side: str  # "buy" or "sell"
    quantity_wh: int
    price: int  # mc/kWh


class Strategy(Protocol):
    def offers(self, use_wh: int, gen_wh: int, lo: int, hi: int, rng: random.Random) -> list[Offer]: ...


class ZeroIntelligence:
    """island's bidder: buy all its use and sell all its generation (not the net), each at a price drawn
    uniformly from (Lo, Hi]. A lower bound on market efficiency."""

    def offers(self, use_wh: int, gen_wh: int, lo: int, hi: int, rng: random.Random) -> list[Offer]:
        wanted = [("buy", use_wh), ("sell", gen_wh)]
        return [Offer(side, quantity, rng.randint(lo + 1, hi)) for side, quantity in wanted if quantity > 0]


class NetMidpoint:
    """Offer only the net position, buyers in the upper half of (Lo, Hi] and sellers in the lower half, so every
    buy price is at least every sell price: the short side of the book always clears in full, and a household
    never buys energy it also sells in the same slot."""

    def offers(self, use_wh: int, gen_wh: int, lo: int, hi: int, rng: random.Random) -> list[Offer]:
        middle = (lo + hi) // 2
        if use_wh > gen_wh:
            return [Offer("buy", use_wh - gen_wh, rng.randint(middle, hi))]
        if gen_wh > use_wh:
            return [Offer("sell", gen_wh - use_wh, rng.randint(lo + 1, middle))]
        return []


STRATEGIES: dict[str, type[Strategy]] = {"zero-intelligence": ZeroIntelligence, "net-midpoint": NetMidpoint}


def strategy_named(name: str) -> Strategy:
    try:
        return STRATEGIES[name]()
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}") from None
