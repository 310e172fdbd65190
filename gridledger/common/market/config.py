"""A market's configuration (fixed when it is created) and its clock: when each phase of a slot may end.

The chaincode validates a configuration once, at create_market, and stores the normalised JSON; clients read it
back with get_market and use the same class, so phase boundaries are computed identically on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.fields import ID_PATTERN, ConfigError, check_choice, check_id, check_int
from gridledger.common.market.clearing import AVERAGE, TIE_RULES
from gridledger.common.market.orders import MAX_PRICE
from gridledger.common.market.sealing import SCHEMES

KEY_PER_TX = "key-per-tx"
KEY_PER_SLOT = "key-per-slot"
DATA_MODELS = (KEY_PER_TX, KEY_PER_SLOT)
HEIGHT = "height"
TIME = "time"
CLOCK_MODES = (HEIGHT, TIME)
_FIELDS = {"market_id", "sealing", "data_model", "tie_rule", "clock", "lo", "hi", "token_chaincode"}
_CLOCK_FIELDS = {"mode", "start", "slot_length", "reveal_offset"}
MAX_SLOT = 10**9
__all__ = ["ID_PATTERN", "MAX_SLOT", "Clock", "ConfigError", "MarketConfig", "check_id"]


@dataclass(frozen=True, slots=True)
class Clock:
    """Slot n's bids close at start + n*slot_length + reveal_offset, its reveals at start + (n+1)*slot_length, and
    it may be settled (delivery over) from start + (n+2)*slot_length. Height mode counts blocks, time mode ns."""

    mode: str
    start: int
    slot_length: int
    reveal_offset: int

    def opens(self, slot: int) -> int:
        """When agents start bidding for the slot (the chaincode accepts orders from the market's creation on)."""
        return self.start + slot * self.slot_length

    def bid_end(self, slot: int) -> int:
        return self.opens(slot) + self.reveal_offset

    def reveal_end(self, slot: int) -> int:
        return self.start + (slot + 1) * self.slot_length

    def settle_from(self, slot: int) -> int:
        return self.start + (slot + 2) * self.slot_length


@dataclass(frozen=True, slots=True)
class MarketConfig:
    market_id: str
    sealing: str
    data_model: str
    tie_rule: str
    clock: Clock
    lo: int
    hi: int
    token_chaincode: str

    @classmethod
    def from_json(cls, data: object) -> MarketConfig:
        """Validate a configuration as JSON-decoded; ConfigError says what is wrong."""
        if not isinstance(data, dict):
            raise ConfigError("the market configuration is a JSON object")
        unknown = set(data) - _FIELDS
        if unknown:
            raise ConfigError(f"unknown configuration fields: {', '.join(sorted(unknown))}")
        clock = data.get("clock")
        if not isinstance(clock, dict) or set(clock) != _CLOCK_FIELDS:
            raise ConfigError(f"clock is an object with exactly {', '.join(sorted(_CLOCK_FIELDS))}")
        slot_length = check_int(clock["slot_length"], "clock.slot_length", 2)
        parsed = cls(
            market_id=check_id(data.get("market_id"), "market_id"),
            sealing=check_choice(data.get("sealing"), "sealing", SCHEMES),
            data_model=check_choice(data.get("data_model", KEY_PER_TX), "data_model", DATA_MODELS),
            tie_rule=check_choice(data.get("tie_rule", AVERAGE), "tie_rule", TIE_RULES),
            clock=Clock(check_choice(clock["mode"], "clock.mode", CLOCK_MODES),
                        check_int(clock["start"], "clock.start", 0), slot_length,
                        check_int(clock["reveal_offset"], "clock.reveal_offset", 1, slot_length - 1)),
            lo=check_int(data.get("lo"), "lo", 1, MAX_PRICE),
            hi=check_int(data.get("hi"), "hi", 1, MAX_PRICE),
            token_chaincode=check_id(data.get("token_chaincode", "token"), "token_chaincode"),
        )
        if parsed.lo >= parsed.hi:
            raise ConfigError(f"lo ({parsed.lo}) must be below hi ({parsed.hi})")
        return parsed

    def to_json(self) -> dict[str, object]:
        return {"market_id": self.market_id, "sealing": self.sealing, "data_model": self.data_model,
                "tie_rule": self.tie_rule, "lo": self.lo, "hi": self.hi, "token_chaincode": self.token_chaincode,
                "clock": {"mode": self.clock.mode, "start": self.clock.start, "slot_length": self.clock.slot_length,
                          "reveal_offset": self.clock.reveal_offset}}
