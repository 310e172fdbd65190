"""Request and response bodies and path parameters of the energy-market endpoints (docs/market.md).

Requests are checked here, before any proposal is built, so a malformed one costs no endorsement and gets a 422
naming the field. They are strict: JSON integers only (no "12" or 12.5; 12.0 is the integer 12, as JSON Schema has it),
no unknown fields, hex of bounded length. The bounds are the shared market code's own (gridledger.common.market),
so the service never refuses what the chaincode accepts or relays what it must refuse; the chaincode still decides
what needs the ledger (roles, phases, whether a secret opens its order).
Responses mirror the chaincode's JSON, typed so that /docs shows the units.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from gridledger.common.market.config import ID_PATTERN, MAX_SLOT, ConfigError, MarketConfig
from gridledger.common.market.orders import (
    MAX_ORDER_BYTES,
    MAX_PRICE,
    MAX_QUANTITY_WH,
    PARTICIPANT_PATTERN,
    OrderError,
    check_participant,
)
from gridledger.common.market.sealing import MAX_SEALED_BYTES, NONCE_BYTES

LEDGER_ID = "^" + ID_PATTERN.pattern.removesuffix(r"\Z") + "$"  # market, household and account ids
MAX_SECRET_BYTES = MAX_ORDER_BYTES + NONCE_BYTES  # the largest reveal: commit-reveal's order bytes || nonce

Side = Literal["buy", "sell"]
MarketId = Annotated[str, Path(pattern=LEDGER_ID, description="market id (the `market_id` of its configuration)")]
HouseholdId = Annotated[str, Path(pattern=LEDGER_ID, description="household the meter is registered for")]
AccountId = Annotated[str, Path(pattern=LEDGER_ID, description="token account: a household id, or `grid`")]
SlotNumber = Annotated[int, Path(ge=0, le=MAX_SLOT, description="slot number on the market clock")]


def _integral(value: object) -> object:
    """A JSON number without a fractional part as the integer it is: JSON Schema's `integer` (what the OpenAPI
    document says) includes 12.0, so refusing it would refuse what the schema allows. Strings, booleans and
    fractions still fail the strict integer check that follows."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral)]  # a strict integer that may arrive written as 12.0
Wh = Annotated[JsonInt, Field(ge=0, le=MAX_QUANTITY_WH)]


def _lower(value: str) -> str:
    """Lower case, so the ledger holds one spelling whatever the client sent."""
    return value.lower()


# Hex is bytes: two digits each. In the pattern, so the schema refuses an odd length (a truncated value) as the
# service does, and a client generated from the schema never sends one.
HEX_BYTES = r"^(?:[0-9A-Fa-f]{2})+$"
SealedHex = Annotated[str, Field(min_length=2, max_length=2 * MAX_SEALED_BYTES, pattern=HEX_BYTES),
                      AfterValidator(_lower)]
SecretHex = Annotated[str, Field(min_length=2, max_length=2 * MAX_SECRET_BYTES, pattern=HEX_BYTES),
                      AfterValidator(_lower)]


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
    slot: JsonInt = Field(ge=0, le=MAX_SLOT)
    use_wh: Wh = Field(description="energy the household used in the slot, Wh")
    gen_wh: Wh = Field(description="energy the household generated in the slot, Wh")


# ---------- the utility's requests ----------

MAX_INT = 2**63 - 1
FINGERPRINT = "^[0-9a-f]{64}$"
MAX_MEMBERS_PER_CALL = 1000  # the market chaincode's limit per register transaction (chaincode/market/registry.py)
Sealing = Literal["own-key", "auctioneer-key", "commit-reveal"]
DataModel = Literal["key-per-tx", "key-per-slot"]
TieRule = Literal["average", "highest", "lowest"]
Role = Literal["prosumer", "meter", "auctioneer"]


class ClockBody(_StrictBody):
    mode: Literal["height", "time"] = Field(description="height: ledger height in blocks (keep blocks coming with "
                                            "`gridledger market operate`); time: proposal time in ns")
    start: JsonInt = Field(ge=0, le=MAX_INT, description="market clock at which slot 0 opens (a block height, or ns)")
    slot_length: JsonInt = Field(ge=2, le=MAX_INT, description="blocks (or ns) per slot")
    reveal_offset: JsonInt = Field(ge=1, le=MAX_INT, description="bids of slot n close at start + n*slot_length + "
                               "reveal_offset; 1 <= reveal_offset < slot_length")


class MarketConfigBody(_StrictBody):
    """A market's configuration, fixed at creation (docs/market.md, "Market configuration")."""

    market_id: str = Field(pattern=LEDGER_ID)
    sealing: Sealing = Field(description="how orders are sealed: own-key and commit-reveal need nobody else; "
                             "auctioneer-key needs a registered auctioneer publishing slot keys")
    data_model: DataModel = "key-per-tx"
    tie_rule: TieRule = "average"
    clock: ClockBody
    lo: JsonInt = Field(ge=1, le=MAX_PRICE, description="price the grid pays for surplus, mc/kWh (below hi)")
    hi: JsonInt = Field(ge=1, le=MAX_PRICE, description="price the grid charges for shortfall, mc/kWh")
    token_chaincode: str = Field(default="token", pattern=LEDGER_ID, description="chaincode that settles payments")

    @model_validator(mode="after")
    def _runs(self) -> MarketConfigBody:
        """What depends on more than one field (reveal_offset < slot_length, lo < hi), by the chaincode's own
        check (common/market/config.py)."""
        try:
            MarketConfig.from_json(self.model_dump())
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self


# Which roles carry a household, said in the schema as well (JSON Schema's if/then/else), so that a client built from
# it never sends a prosumer without one: the same rule as check_participant's, which the validator below applies.
HOUSEHOLD_RULE = {
    "if": {"properties": {"role": {"const": "auctioneer"}}},
    "then": {"properties": {"household": {"maxLength": 0}}},
    "else": {"required": ["household"],
             "properties": {"household": {"pattern": "^" + PARTICIPANT_PATTERN.pattern.removesuffix(r"\Z") + "$",
                                          "not": {"const": "grid"}}}},
}


class MemberBody(_StrictBody):
    model_config = ConfigDict(json_schema_extra=HOUSEHOLD_RULE)

    fingerprint: str = Field(pattern=FINGERPRINT, description="SHA-256 hex of the member's DER certificate (the "
                             "`fingerprint` of GET /v1/users/me)")
    role: Role
    household: str = Field(default="", max_length=64, description="the household a prosumer bids for or a meter "
                           "reports for; an auctioneer has none")

    @model_validator(mode="after")
    def _household(self) -> MemberBody:
        if self.role == "auctioneer":
            if self.household:
                raise ValueError("an auctioneer has no household")
            return self
        try:
            check_participant(self.household)
        except OrderError as exc:
            raise ValueError(f"a {self.role} needs its household: {exc}") from None
        return self


class MembersBody(_StrictBody):
    members: list[MemberBody] = Field(min_length=1, max_length=MAX_MEMBERS_PER_CALL, description="registered in "
                                      "one transaction; a fingerprint registered before gets the new role")


class MemberResponse(BaseModel):
    fingerprint: str
    role: Role
    household: str = Field(description="empty for an auctioneer")


class RegisteredResponse(BaseModel):
    market_id: str
    registered: int = Field(description="how many members the transaction registered")
    tx_id: str
    block: int


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


class CreatedMarketResponse(MarketResponse):
    tx_id: str
    block: int


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
