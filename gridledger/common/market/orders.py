"""Orders and their canonical bytes: what a bidder seals, and what the ledger parses once the order is revealed.

The canonical form names the market and slot as well as the participant and side, so a ciphertext or commitment
copied into another slot, another market or another participant's order key opens to a plaintext that no longer
matches where it sits, and is excluded. Parsing is strict (exact keys, exact types, canonical encoding), because
every peer must accept or reject the same bytes for the same reason.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

BUY = "buy"
SELL = "sell"
SIDES = (BUY, SELL)
# Bounds keep every product and sum well inside what peers compute quickly; no household comes near them.
MAX_QUANTITY_WH = 10**12
MAX_PRICE = 10**9
MAX_ORDER_BYTES = 1024
PARTICIPANT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_FIELDS = frozenset({"market_id", "slot", "participant", "side", "quantity_wh", "price"})


class OrderError(ValueError):
    """Bytes that are not a well-formed order for the expected market and slot."""


@dataclass(frozen=True, slots=True)
class Order:
    """One participant's buy or sell order for a slot: energy in Wh at a limit price in mc/kWh."""

    participant: str
    side: str
    quantity_wh: int
    price: int

    def __post_init__(self) -> None:
        check_participant(self.participant)
        check_side(self.side)
        _check_int(self.quantity_wh, "quantity_wh", MAX_QUANTITY_WH)
        _check_int(self.price, "price", MAX_PRICE)

    def to_bytes(self, market_id: str, slot: int) -> bytes:
        """The canonical bytes to seal or commit to: sorted-key compact JSON that also names market and slot.

        Written out directly rather than by json.dumps(sort_keys=True), which gives the same bytes at several times
        the cost: the clear re-encodes every revealed order to check that it is canonical, 10,000 per slot. Only
        the market id can need JSON escaping; participant and side are plain ASCII by their checks, the quantities
        are ints (tests/market/test_sealing.py holds the two encodings equal)."""
        if isinstance(slot, bool) or not isinstance(slot, int):
            raise TypeError(f"slot must be an int, got {slot!r}")
        return (_CANONICAL % (_json_string(market_id), self.participant, self.price, self.quantity_wh, self.side,
                              slot)).encode("ascii")


def check_participant(participant: object) -> str:
    """Participant (household) ids are short plain names, so they fit composite keys and never collide with
    the token chaincode's `grid` account."""
    if not isinstance(participant, str) or not PARTICIPANT_PATTERN.match(participant) or participant == "grid":
        raise OrderError(f"participant {participant!r} is not a household id (1-64 of A-Z a-z 0-9 _ . -, "
                         "not 'grid')")
    return participant


def check_side(side: object) -> str:
    if side not in SIDES:
        raise OrderError(f"side must be 'buy' or 'sell', got {side!r}")
    return str(side)


def _check_int(value: object, name: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= maximum:
        raise OrderError(f"{name} must be an integer in 1..{maximum}, got {value!r}")
    return value


_CANONICAL = '{"market_id":%s,"participant":"%s","price":%d,"quantity_wh":%d,"side":"%s","slot":%d}'


@functools.lru_cache(maxsize=64)
def _json_string(text: str) -> str:
    """`text` as an ASCII JSON string literal (a clear encodes the same market id 10,000 times)."""
    return json.dumps(text, ensure_ascii=True)


def parse_order(data: bytes, market_id: str, slot: int) -> Order:
    """The order in `data`, which must be the canonical bytes of an order for `market_id` and `slot`."""
    if len(data) > MAX_ORDER_BYTES:
        raise OrderError(f"an order is at most {MAX_ORDER_BYTES} bytes, got {len(data)}")
    try:
        fields = json.loads(data.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise OrderError("the order is not ASCII JSON") from None
    if not isinstance(fields, dict) or set(fields) != _FIELDS:
        raise OrderError(f"an order is a JSON object with exactly the keys {', '.join(sorted(_FIELDS))}")
    if fields["market_id"] != market_id or fields["slot"] != slot or isinstance(fields["slot"], bool):
        raise OrderError(f"the order names market {fields['market_id']!r} slot {fields['slot']!r}, "
                         f"not {market_id!r} slot {slot}")
    order = Order(fields["participant"], fields["side"], fields["quantity_wh"], fields["price"])
    if order.to_bytes(market_id, slot) != data:
        raise OrderError("the order is not in canonical form (sorted keys, no spaces)")
    return order
