"""Sealing orders on the bidder's side with the market's scheme (gridledger.common.market.sealing), so a bid's
price and quantity never reach a peer, the ordering service or the ledger before its reveal."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from gridledger.common.market import sealing
from gridledger.common.market.orders import Order
from gridledger.lab.agents.strategies import Offer
from gridledger.sdk import Contract


@dataclass(frozen=True, slots=True)
class SealedOrder:
    """What a prosumer posts now (`sealed_hex`) and reveals later (`secret_hex`; empty under auctioneer-key)."""

    side: str
    sealed_hex: str
    secret_hex: str


class OrderSealer:
    """Seals offers for one market. Under auctioneer-key it reads the slot's public key from the ledger once per
    slot (the key the auctioneer published, not one handed over out of band)."""

    def __init__(self, scheme: str, reader: Contract) -> None:
        if scheme not in sealing.SCHEMES:
            raise ValueError(f"unknown sealing scheme {scheme!r}; choose one of {', '.join(sealing.SCHEMES)}")
        self.scheme = scheme
        self._reader = reader
        self._slot_keys: dict[tuple[str, int], asyncio.Future[bytes]] = {}

    async def seal(self, market_id: str, slot: int, household: str, offer: Offer) -> SealedOrder:
        plaintext = Order(household, offer.side, offer.quantity_wh, offer.price).to_bytes(market_id, slot)
        if self.scheme == sealing.OWN_KEY:
            sealed, secret = sealing.seal_own_key(plaintext)
        elif self.scheme == sealing.COMMIT_REVEAL:
            sealed, secret = sealing.commit(plaintext)
        else:
            sealed, secret = sealing.seal_to(await self._slot_key(market_id, slot), plaintext), b""
        return SealedOrder(offer.side, sealed.hex(), secret.hex())

    async def _slot_key(self, market_id: str, slot: int) -> bytes:
        key = (market_id, slot)
        if key not in self._slot_keys:
            self._slot_keys[key] = asyncio.ensure_future(self._fetch_slot_key(market_id, slot))
        try:
            return await self._slot_keys[key]
        except Exception:
            self._slot_keys.pop(key, None)  # the next bidder asks the ledger again
            raise

    async def _fetch_slot_key(self, market_id: str, slot: int) -> bytes:
        state = json.loads(await self._reader.evaluate("get_slot", market_id, slot))
        public_hex = state.get("public_key") or ""
        if not public_hex:
            raise RuntimeError(f"market {market_id} slot {slot} has no auctioneer key yet; the auctioneer "
                               "publishes it before bidding opens")
        return bytes.fromhex(public_hex)


class SlotKeys:
    """The auctioneer's key pairs, one per slot, made on first use and kept until revealed."""

    def __init__(self) -> None:
        self._pairs: dict[int, tuple[bytes, bytes]] = {}

    def _pair(self, slot: int) -> tuple[bytes, bytes]:
        if slot not in self._pairs:
            self._pairs[slot] = sealing.new_key_pair()
        return self._pairs[slot]

    def public_hex(self, slot: int) -> str:
        return self._pair(slot)[1].hex()

    def private_hex(self, slot: int) -> str:
        return self._pair(slot)[0].hex()
