"""Request and response bodies and path parameters of the energy-market endpoints (docs/market.md).

Requests are checked here, before any proposal is built, so a malformed one costs no endorsement and gets a 422
naming the field. They are strict: JSON integers only (no "12" or 12.0, which could hide a unit mistake in Wh),
no unknown fields, hex of bounded length. The bounds are the shared market code's own (gridledger.common.market),
so the service never refuses what the chaincode accepts or relays what it must refuse; the chaincode still decides
what needs the ledger (roles, phases, whether a secret opens its order).
Responses mirror the chaincode's JSON, typed so that /docs shows the units.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from gridledger.common.market.config import ID_PATTERN, MAX_SLOT
from gridledger.common.market.orders import MAX_ORDER_BYTES, MAX_QUANTITY_WH
from gridledger.common.market.sealing import MAX_SEALED_BYTES, NONCE_BYTES

LEDGER_ID = "^" + ID_PATTERN.pattern.removesuffix(r"\Z") + "$"  # market, household and account ids
MAX_SECRET_BYTES = MAX_ORDER_BYTES + NONCE_BYTES  # the largest reveal: commit-reveal's order bytes || nonce

Side = Literal["buy", "sell"]
MarketId = Annotated[str, Path(pattern=LEDGER_ID, description="market id (the `market_id` of its configuration)")]
HouseholdId = Annotated[str, Path(pattern=LEDGER_ID, description="household the meter is registered for")]
AccountId = Annotated[str, Path(pattern=LEDGER_ID, description="token account: a household id, or `grid`")]
SlotNumber = Annotated[int, Path(ge=0, le=MAX_SLOT, description="slot number on the market clock")]
Wh = Annotated[int, Field(ge=0, le=MAX_QUANTITY_WH)]


def _bytes_hex(value: str) -> str:
    """Hex is bytes: an odd number of digits is a truncated value, not a shorter one. Lower case, so the ledger
    holds one spelling whatever the client sent."""
    if len(value) % 2:
        raise ValueError("hex needs an even number of digits (two per byte)")
    return value.lower()


HEX = r"^[0-9A-Fa-f]+$"
SealedHex = Annotated[str, Field(min_length=2, max_length=2 * MAX_SEALED_BYTES, pattern=HEX),
                      AfterValidator(_bytes_hex)]
SecretHex = Annotated[str, Field(min_length=2, max_length=2 * MAX_SECRET_BYTES, pattern=HEX),
                      AfterValidator(_bytes_hex)]


class _StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OrderBody(_StrictBody):
    side: Side
    sealed_hex: SealedHex = Field(
        description="the order sealed on the client, as hex (own-key: sealed box || 32-byte public key; "
                    "auctioneer-key: sealed box; commit-reveal: the 32-byte commitment)")


class RevealBody(_StrictBody):
    side: Side
    secret_hex: SecretHex = Field(
        description="what opens your sealed order, as hex (own-key: its 32-byte X25519 private key; "
                    "commit-reveal: order bytes || 32-byte nonce)")


class ReadingBody(_StrictBody):
    market_id: str = Field(pattern=LEDGER_ID)
    slot: int = Field(ge=0, le=MAX_SLOT)
    use_wh: Wh = Field(description="energy the household used in the slot, Wh")
    gen_wh: Wh = Field(description="energy the household generated in the slot, Wh")


class ClockModel(BaseModel):
    mode: Literal["height", "time"] = Field(description="height: ledger height in blocks; time: proposal time, ns")
    start: int
    slot_length: int
    reveal_offset: int


class MarketConfigModel(BaseModel):
    market_id: str
    sealing: Literal["own-key", "auctioneer-key", "commit-reveal"]
    data_model: Literal["key-per-tx", "key-per-slot"]
    tie_rule: Literal["average", "highest", "lowest"]
    clock: ClockModel
    lo: int = Field(description="price the grid pays for surplus, mc/kWh")
    hi: int = Field(description="price the grid charges for shortfall, mc/kWh")
    token_chaincode: str


class MarketResponse(BaseModel):
    config: MarketConfigModel
    utility: str = Field(description="MSP id of the organisation that created and administers the market")


class SideCounts(BaseModel):
    buy: int
    sell: int


class SlotResponse(BaseModel):
    market_id: str
    slot: int
    phase: Literal["bid", "reveal", "closed", "cleared", "settled"]
    orders: SideCounts
    reveals: int
    public_key: str | None = Field(description="the auctioneer's slot public key (auctioneer-key markets)")
    slot_key_posted: bool
    bid_end: int = Field(description="market clock from which bidding may be closed")
    reveal_end: int = Field(description="market clock from which reveals may be closed and the slot cleared")
    settle_from: int = Field(description="market clock from which the slot may be settled")
    clock: int = Field(description="the market clock now, on the answering peer")


class Allocations(BaseModel):
    buy: dict[str, int] = Field(description="Wh bought per household")
    sell: dict[str, int] = Field(description="Wh sold per household")


class SlotResultResponse(BaseModel):
    market_id: str
    slot: int
    price: int | None = Field(description="clearing price, mc/kWh (null: no trade)")
    volume_wh: int
    demand_wh: int
    supply_wh: int
    tie_rule: str
    allocations: Allocations
    counters: dict[str, int] = Field(description="orders, revealed, unrevealed, undecryptable, malformed, included, "
                                     "missing_readings, slots_cleared, slots_settled")
    settlement: dict | None = Field(description="payments per household and to the grid (micro-cents), once "
                                    "settled")


class BalanceResponse(BaseModel):
    account: str
    balance: int = Field(description="micro-cents")
