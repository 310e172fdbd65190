"""The market's participants as agents: a prosumer bids and reveals for its household, a meter reports readings,
the auctioneer (Configuration 3) publishes and reveals the slot key. Each holds its own identity's contract proxy,
so every transaction is signed by the device that the chaincode expects.
"""

from __future__ import annotations

import asyncio
import random

from gridledger.lab.agents.sealing import OrderSealer, SealedOrder, SlotKeys
from gridledger.lab.agents.strategies import Strategy
from gridledger.lab.agents.submitter import Submitter, Tag
from gridledger.sdk import Contract

TX_TYPE = {"buy": "buy", "sell": "sell"}


class Prosumer:
    """Bids with a strategy, keeps each accepted order's secret, and reveals it in the reveal phase."""

    def __init__(self, household: str, contract: Contract, market_id: str, sealer: OrderSealer,
                 strategy: Strategy, submitter: Submitter, rng: random.Random) -> None:
        self.household = household
        self._contract = contract
        self._market_id = market_id
        self._sealer = sealer
        self._strategy = strategy
        self._submitter = submitter
        self._rng = rng
        self._pending: dict[int, list[SealedOrder]] = {}

    async def bid(self, slot: int, use_wh: int, gen_wh: int, lo: int, hi: int) -> None:
        offers = self._strategy.offers(use_wh, gen_wh, lo, hi, self._rng)
        sealed = [await self._sealer.seal(self._market_id, slot, self.household, offer) for offer in offers]
        results = await asyncio.gather(*(
            self._submitter.submit(self._contract, "submit_order",
                                   [self._market_id, slot, order.side, order.sealed_hex],
                                   Tag(TX_TYPE[order.side], "bid", slot, self.household))
            for order in sealed))
        self._pending[slot] = [order for order, result in zip(sealed, results, strict=True)
                               if result is not None and order.secret_hex]

    async def reveal(self, slot: int) -> None:
        """Post the secret of every order that made it into the book (island's postKey)."""
        orders = self._pending.pop(slot, [])
        await asyncio.gather(*(
            self._submitter.submit(self._contract, "reveal", [self._market_id, slot, order.side, order.secret_hex],
                                   Tag("postKey", "reveal", slot, self.household))
            for order in orders))


class Meter:
    """Reports the household's metered use and generation for a slot, signed with the meter's own key."""

    def __init__(self, household: str, contract: Contract, market_id: str, submitter: Submitter) -> None:
        self.household = household
        self._contract = contract
        self._market_id = market_id
        self._submitter = submitter

    async def report(self, slot: int, use_wh: int, gen_wh: int) -> None:
        await self._submitter.submit(self._contract, "report", [self._market_id, slot, use_wh, gen_wh],
                                     Tag("report", "other", slot, self.household))


class Auctioneer:
    """Configuration 3: one fresh key pair per slot; the public half before bidding, the private half at the end."""

    def __init__(self, contract: Contract, market_id: str, keys: SlotKeys, submitter: Submitter) -> None:
        self._contract = contract
        self._market_id = market_id
        self._keys = keys
        self._submitter = submitter

    async def publish(self, slot: int) -> bool:
        public_hex = self._keys.public_hex(slot)
        result = await self._submitter.submit(self._contract, "publish_key", [self._market_id, slot, public_hex],
                                              Tag("publishKey", "bid", slot))
        return result is not None

    async def mark_end(self, slot: int) -> None:
        await self._submitter.submit(self._contract, "mark_end",
                                     [self._market_id, slot, self._keys.private_hex(slot)],
                                     Tag("markEnd", "reveal", slot))
