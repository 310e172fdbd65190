"""One agent process (`gridledger agents serve`): the prosumers and meters of a slice of the community, acting on
their own from the chain state.

The market's schedule is on chain (the clock of height mode), so the process needs nothing from the runner but its
slice (slice.py): it waits until the runner registered its households, reads the market's clock, and for every slot
bids once the slot opens (under auctioneer-key once the slot's public key is on the ledger), then reveals and
reports once its peer shows the slot in the reveal phase. Each finished step is marked in the records folder
(progress.py) and every attempt logged; transactions.csv is written when the last slot's reveals are done.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.market.config import Clock, MarketConfig
from gridledger.lab.agents import progress
from gridledger.lab.agents.chainclock import ChainClock
from gridledger.lab.agents.participants import Meter, Prosumer
from gridledger.lab.agents.records import TxLog
from gridledger.lab.agents.sealing import OrderSealer
from gridledger.lab.agents.slice import Slice, SliceHousehold
from gridledger.lab.agents.strategies import strategy_named
from gridledger.lab.agents.submitter import BlockBackoff, Submitter
from gridledger.lab.traces import Trace
from gridledger.sdk import NO_RETRY, Contract, Gateway, GridLedgerError

MARKET = "market"
RECORDS_FILE = "transactions.csv"
# Peers of other orgs may be a block behind the one this process follows (as the runner allows for).
CATCH_UP_BLOCKS = 2
REGISTRATION_POLL_S = 0.5
REVEAL_PATIENCE_SLOTS = 10


@dataclass(frozen=True)
class AgentSettings:
    """The spec's agent and market choices a slice needs."""

    market_id: str
    strategy: str
    alpha: int
    retries: int
    seed: int
    registration_timeout_s: float = 600.0


class ServedSlice:
    """Runs `households` of `slice_` for every slot of `trace` and logs into `records_dir`."""

    def __init__(self, slice_: Slice, households: list[SliceHousehold], trace: Trace, settings: AgentSettings,
                 records_dir: Path, started_at: float | None = None) -> None:
        self._slice = slice_
        self._households = households
        self._trace = trace
        self._settings = settings
        self._records_dir = records_dir
        self.log = TxLog(started_at)

    async def _connect(self, gateways: dict[str, Gateway]) -> None:
        for org in sorted({household.org for household in self._households}):
            first = next(h for h in self._households if h.org == org)
            gateways[org] = await Gateway.connect(self._slice.gateways[org], first.prosumer, self._slice.tls[org],
                                                  retry=NO_RETRY, timeout=120, wait_ready=60)

    def _contract(self, gateway: Gateway, household: SliceHousehold, role: str) -> Contract:
        identity = household.prosumer if role == "prosumer" else household.meter
        return gateway.with_identity(identity).network(self._slice.channel).contract(MARKET)

    async def _registered(self, reader: Contract) -> MarketConfig:
        """The market's configuration once the runner registered this slice's last meter (the runner registers
        in community order, so every earlier member of the slice is registered too)."""
        last = self._households[-1].meter
        deadline = time.monotonic() + self._settings.registration_timeout_s
        fingerprint = msp.fingerprint(last.certificate)
        while True:
            try:
                await reader.evaluate("get_member", self._settings.market_id, fingerprint)
                market = json.loads(await reader.evaluate("get_market", self._settings.market_id))
                return MarketConfig.from_json(market["config"])
            except GridLedgerError as error:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"market {self._settings.market_id} did not register household "
                                       f"{self._households[-1].id} within {self._settings.registration_timeout_s:.0f}"
                                       f"s (last answer: {error})") from None
            await asyncio.sleep(REGISTRATION_POLL_S)

    async def _slot_state_until(self, reader: Contract, clock: ChainClock, slot: int, wanted: Callable[[dict], bool],
                                from_height: int, until_height: int) -> bool:
        """Whether the slot's state on the ledger satisfies `wanted` at some block from `from_height` until
        `until_height` (asked at least once, then once per block; an unanswered query counts as not yet)."""
        await clock.wait_for_height(from_height)
        while True:
            try:
                if wanted(json.loads(await reader.evaluate("get_slot", self._settings.market_id, slot))):
                    return True
            except GridLedgerError:
                pass
            if clock.height >= until_height:
                return False
            await clock.wait_blocks(1)

    async def _run_slot(self, slot: int, schedule: Clock, sealing: str, reader: Contract, clock: ChainClock,
                        prosumers: list[Prosumer], meters: list[Meter]) -> None:
        trace_slot = self._trace.slots[slot]
        lo, hi = self._trace.prices(trace_slot)
        await clock.wait_for_height(schedule.opens(slot))
        can_bid = sealing != "auctioneer-key" or await self._slot_state_until(
            reader, clock, slot, lambda state: bool(state.get("public_key")), schedule.opens(slot),
            schedule.bid_end(slot))
        if can_bid:
            await asyncio.gather(*(prosumer.bid(slot, *self._trace.reading(prosumer.household, trace_slot), lo, hi)
                                   for prosumer in prosumers))
        progress.mark_done(self._records_dir, progress.BID, slot)
        # The runner closes bids once every agent process bid, which under load can be many blocks after the
        # boundary and after this process's own bids: wait up to ten slots' worth of blocks for that.
        patience = max(schedule.settle_from(slot), clock.height + REVEAL_PATIENCE_SLOTS * schedule.slot_length)
        revealing = await self._slot_state_until(reader, clock, slot, lambda state: state["phase"] != "bid",
                                                 schedule.bid_end(slot), patience)
        if revealing:
            await clock.wait_blocks(CATCH_UP_BLOCKS)
            await asyncio.gather(*(prosumer.reveal(slot) for prosumer in prosumers),
                                 *(meter.report(slot, *self._trace.reading(meter.household, trace_slot))
                                   for meter in meters))
        progress.mark_done(self._records_dir, progress.REVEAL, slot)

    async def run(self) -> Path:
        """Every slot's bids, reveals and reports; returns the records file. Connections and tasks are closed
        inside the loop that made them."""
        gateways: dict[str, Gateway] = {}
        follower: asyncio.Task | None = None
        try:
            await self._connect(gateways)
            first = self._households[0]
            reader = self._contract(gateways[first.org], first, "prosumer")
            clock = ChainClock(gateways[first.org].network(self._slice.channel))
            follower = asyncio.create_task(clock.run())
            config = await self._registered(reader)
            settings = self._settings
            submitter = Submitter(clock, self.log, BlockBackoff(settings.alpha, settings.retries),
                                  random.Random(f"{settings.seed}:{first.id}"))
            sealer = OrderSealer(config.sealing, reader)
            strategy = strategy_named(settings.strategy)
            prosumers = [Prosumer(h.id, self._contract(gateways[h.org], h, "prosumer"), settings.market_id, sealer,
                                  strategy, submitter, random.Random(f"{settings.seed}:{h.id}"))
                         for h in self._households]
            meters = [Meter(h.id, self._contract(gateways[h.org], h, "meter"), settings.market_id, submitter)
                      for h in self._households]
            await asyncio.gather(*(self._run_slot(slot, config.clock, config.sealing, reader, clock, prosumers,
                                                  meters) for slot in range(len(self._trace.slots))))
        finally:
            if follower is not None:
                follower.cancel()
                await asyncio.gather(follower, return_exceptions=True)
            for gateway in gateways.values():
                await gateway.close()
            self.log.write_csv(self._records_dir / RECORDS_FILE)
        return self._records_dir / RECORDS_FILE
