"""A slot's sealed book, opened and cleared: the one function the chaincode runs in `clear` and `market verify`
runs again from what the ledger's queries return, so both derive the same result from the same inputs.

An order is excluded, and counted, when it was never revealed (`unrevealed`), its reveal does not open it
(`undecryptable`), or its plaintext is not a canonical order of this market, slot, side and participant
(`malformed`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from gridledger.common.market.allocation import Allocation, allocate
from gridledger.common.market.clearing import Clearing, clear
from gridledger.common.market.config import MarketConfig
from gridledger.common.market.orders import BUY, Order, OrderError, parse_order
from gridledger.common.market.sealing import AUCTIONEER_KEY, SealingError, Undecryptable, open_order

COUNTERS = ("orders", "revealed", "unrevealed", "undecryptable", "malformed", "included")


@dataclass(frozen=True, slots=True)
class SealedOrder:
    """An order as the ledger holds it: whose, which side, the sealed bytes and, once revealed, the secret (own-key:
    private key; commit-reveal: order bytes || nonce; auctioneer-key: always None, the slot key opens all)."""

    participant: str
    side: str
    sealed: bytes
    secret: bytes | None = None

    def to_json(self) -> dict[str, object]:
        return {"participant": self.participant, "side": self.side, "sealed": self.sealed.hex(),
                "secret": None if self.secret is None else self.secret.hex()}

    @classmethod
    def from_json(cls, data: dict) -> SealedOrder:
        secret = data.get("secret")
        return cls(data["participant"], data["side"], bytes.fromhex(data["sealed"]),
                   None if secret is None else bytes.fromhex(secret))


@dataclass(slots=True)
class OpenedBook:
    """The orders that take part in clearing, and what happened to the others."""

    orders: list[Order] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))


def open_book(config: MarketConfig, slot: int, sealed_orders: Iterable[SealedOrder],
              slot_key: bytes | None = None) -> OpenedBook:
    """Open every sealed order with its reveal (or the auctioneer's slot key) and keep the valid ones."""
    book = OpenedBook()
    for sealed in sealed_orders:
        book.counters["orders"] += 1
        secret = slot_key if config.sealing == AUCTIONEER_KEY else sealed.secret
        if secret is None:
            book.counters["unrevealed"] += 1
            continue
        book.counters["revealed"] += 1
        try:
            order = parse_order(open_order(config.sealing, sealed.sealed, secret), config.market_id, slot)
        except Undecryptable:
            book.counters["undecryptable"] += 1
            continue
        except (SealingError, OrderError):
            book.counters["malformed"] += 1
            continue
        if (order.participant, order.side) != (sealed.participant, sealed.side):
            book.counters["malformed"] += 1
            continue
        book.counters["included"] += 1
        book.orders.append(order)
    return book


@dataclass(frozen=True, slots=True)
class SlotOutcome:
    """The cleared slot: the result record (price, volume, totals, counters) and the allocations."""

    clearing: Clearing
    allocation: Allocation
    book: OpenedBook

    def result_json(self, config: MarketConfig, slot: int) -> dict[str, object]:
        orders = self.book.orders
        return {"market_id": config.market_id, "slot": slot, "price": self.clearing.price,
                "volume_wh": self.clearing.volume_wh, "tie_rule": config.tie_rule,
                "demand_wh": sum(o.quantity_wh for o in orders if o.side == BUY),
                "supply_wh": sum(o.quantity_wh for o in orders if o.side != BUY),
                "counters": dict(self.book.counters)}


def clear_slot(config: MarketConfig, slot: int, sealed_orders: Iterable[SealedOrder],
               slot_key: bytes | None = None) -> SlotOutcome:
    """Open, clear and allocate one slot."""
    book = open_book(config, slot, sealed_orders, slot_key)
    clearing = clear(book.orders, config.tie_rule)
    return SlotOutcome(clearing, allocate(book.orders, clearing.volume_wh), book)
