"""A slot's phase: one state key, written only by the transitions, read by everything the phase gates.

bid (no key yet) -> reveal (close_bids) -> closed (close_reveals) -> cleared (clear) -> settled (settle).
Orders and reveals read this key, so a transition committed between their endorsement and their validation makes
them fail MVCC on every peer alike: lateness is decided by the order of transactions in the chain. The clock
(the endorser's ledger height, or the proposal timestamp) only decides whether a transition may happen yet.
"""

from __future__ import annotations

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict
from gridledger.common.market.config import HEIGHT, MAX_SLOT, MarketConfig

from . import keys

BID = "bid"
REVEAL = "reveal"
CLOSED = "closed"
CLEARED = "cleared"
SETTLED = "settled"
PHASES = (BID, REVEAL, CLOSED, CLEARED, SETTLED)


def check_slot(slot: int) -> int:
    if not 0 <= slot <= MAX_SLOT:
        raise bad_request(f"slot must be in 0..{MAX_SLOT}, got {slot}")
    return slot


def phase_key(market_id: str, slot: int) -> str:
    return keys.of_slot(keys.PHASE, market_id, check_slot(slot))


def decode(raw: bytes | None) -> str:
    return BID if raw is None else raw.decode("ascii")


def require(phase: str, *allowed: str, action: str) -> None:
    if phase not in allowed:
        raise conflict(f"cannot {action} in phase {phase!r} (needs {' or '.join(allowed)})")


def now(stub: ChaincodeStub, config: MarketConfig) -> int:
    """The market clock: ledger height in height mode, the proposal timestamp (ns) in time mode."""
    return stub.block_height if config.clock.mode == HEIGHT else stub.tx_timestamp


def advance(stub: ChaincodeStub, config: MarketConfig, slot: int, current: str, target: str, boundary: int) -> None:
    """Move the slot from `current` to `target`, refused before `boundary` on the market clock."""
    key = phase_key(config.market_id, slot)
    require(decode(stub.get_state(key)), current, action=f"move to {target}")
    clock = now(stub, config)
    if clock < boundary:
        raise conflict(f"slot {slot} cannot move to {target} before {config.clock.mode} {boundary} (now {clock})")
    stub.put_state(key, target.encode("ascii"))
    stub.set_event("phase", encode_value({"market_id": config.market_id, "slot": slot, "phase": target}))
