"""Where the market keeps things: one composite-key type per kind of record, the market id first, then the slot.

Putting market and slot first lets a slot's orders, reveals and readings be read with one partial-key range scan,
and keeps each bidder's key-per-tx order on a key no other bidder touches. Market ids are checked here, where
every key is made, so a malformed id is a client error (400) wherever it enters.
"""

from __future__ import annotations

from gridledger.chaincode import create_composite_key
from gridledger.chaincode.errors import bad_request
from gridledger.common.market.config import ConfigError, check_id

MARKET = "market"
MEMBER = "member"
PHASE = "phase"
SLOT_KEY = "slotkey"  # the auctioneer's public key for a slot
END_KEY = "endkey"  # the auctioneer's private key, posted by mark_end
ORDER = "order"  # key-per-tx: one per (slot, side, participant)
REVEAL = "reveal"  # key-per-tx: one per (slot, side, participant)
BOOK = "book"  # key-per-slot: all orders of one side
REVEALS = "reveals"  # key-per-slot: all reveals of the slot
RESULT = "result"
ALLOCATIONS = "alloc"
READING = "reading"
SETTLEMENT = "settlement"


def _checked(market_id: str) -> str:
    try:
        return check_id(market_id, "market_id")
    except ConfigError as exc:
        raise bad_request(str(exc)) from None


def market(market_id: str) -> str:
    return create_composite_key(MARKET, [_checked(market_id)])


def member(market_id: str, fingerprint: str) -> str:
    return create_composite_key(MEMBER, [_checked(market_id), fingerprint])


def of_slot(kind: str, market_id: str, slot: int, *rest: str) -> str:
    """A per-slot record: phase, keys, book, reveals, result, allocations, settlement, or (with side and
    participant, or participant) an order, a reveal or a reading."""
    return create_composite_key(kind, [_checked(market_id), str(slot), *rest])
