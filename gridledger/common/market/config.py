"""A market's configuration (fixed when it is created) and its clock: when each phase of a slot may end.

The chaincode validates a configuration once, at create_market, and stores the normalised JSON; clients read it
back with get_market and use the same class, so phase boundaries are computed identically on both sides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gridledger.common.market.clearing import AVERAGE, TIE_RULES
from gridledger.common.market.orders import MAX_PRICE
from gridledger.common.market.sealing import SCHEMES

KEY_PER_TX = "key-per-tx"
KEY_PER_SLOT = "key-per-slot"
DATA_MODELS = (KEY_PER_TX, KEY_PER_SLOT)
HEIGHT = "height"
TIME = "time"
CLOCK_MODES = (HEIGHT, TIME)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
_FIELDS = {"market_id", "sealing", "data_model", "tie_rule", "clock", "lo", "hi", "token_chaincode"}
_CLOCK_FIELDS = {"mode", "start", "slot_length", "reveal_offset"}
MAX_SLOT = 10**9


class ConfigError(ValueError):
    """A market configuration that cannot run."""


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ConfigError(f"{what} {value!r} must be 1-64 of A-Z a-z 0-9 _ . - (starting with a letter or digit)")
    return value


def _int(value: object, what: str, minimum: int, maximum: int = 2**63 - 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConfigError(f"{what} must be an integer in {minimum}..{maximum}, got {value!r}")
    return value


def _choice(value: object, what: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
    return str(value)


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
        slot_length = _int(clock["slot_length"], "clock.slot_length", 2)
        parsed = cls(
            market_id=check_id(data.get("market_id"), "market_id"),
            sealing=_choice(data.get("sealing"), "sealing", SCHEMES),
            data_model=_choice(data.get("data_model", KEY_PER_TX), "data_model", DATA_MODELS),
            tie_rule=_choice(data.get("tie_rule", AVERAGE), "tie_rule", TIE_RULES),
            clock=Clock(_choice(clock["mode"], "clock.mode", CLOCK_MODES), _int(clock["start"], "clock.start", 0),
                        slot_length, _int(clock["reveal_offset"], "clock.reveal_offset", 1, slot_length - 1)),
            lo=_int(data.get("lo"), "lo", 1, MAX_PRICE),
            hi=_int(data.get("hi"), "hi", 1, MAX_PRICE),
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
