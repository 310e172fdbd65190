"""The dashboard's live state, kept by the REST service: it follows the org peer's committed blocks (heights,
throughput, validation codes, the market's phase events, DSM days and OPF iterations; blocks.py, energy.py), reads
every node's operations endpoint once a second (health, consensus, stage latencies), and hands each browser the
latest snapshot over server-sent events.

One feed per REST service, however many browsers watch: subscribers get only the newest snapshot (a slow browser
skips states instead of queueing them). Windows are bounded (WINDOW_S), so a feed left running for days stays small.
Validation codes, slots, days and runs cover the whole chain: the feed reads it from block 0 when it starts.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from dataclasses import dataclass

import httpx

from gridledger.sdk import errors
from gridledger.services.rest.backend import RestBackend
from gridledger.services.rest.dashboard import energy
from gridledger.services.rest.dashboard.blocks import CommittedBlock, decode_block
from gridledger.services.rest.dashboard.nodes import NodeReading, read_node, stage_means

log = logging.getLogger("gridledger.rest.dashboard")

WINDOW_S = 300.0  # throughput, latency and leader changes shown for the last five minutes
BIN_S = 5.0  # throughput is charted per five-second bin
POLL_S = 1.0
PUBLISH_EVERY_S = 0.25  # at most four snapshots a second, however fast blocks land
MARKET_CHAINCODE = "market"
SLOTS_SHOWN = 12
RETRY_S = 1.0


@dataclass
class _Block:
    at: float
    number: int
    transactions: int
    valid: int


class DashboardFeed:
    def __init__(self, backend: RestBackend) -> None:
        self._backend = backend
        definition = backend.network_definition
        # Local networks reach every node on loopback; in containers the node's name is its host name.
        local = backend.config.peer_address is None
        self._nodes = [(f"http://{'127.0.0.1' if local else node.name}:{node.operations_port}", node.name, role,
                        msp_id) for msp_id, role, node in definition.all_nodes() if node.operations_port is not None]
        self._consensus = definition.consensus.type
        self.height = 0
        self._blocks: collections.deque[_Block] = collections.deque()
        self._codes: collections.Counter[str] = collections.Counter()
        self._readings: list[NodeReading] = []
        self._latency: collections.deque[tuple[float, dict[str, float]]] = collections.deque()
        self._leaders: collections.deque[tuple[float, str]] = collections.deque()
        self._slots: dict[tuple[str, int], dict] = {}
        self._days: dict[tuple[str, int], dict] = {}
        self._methods: dict[str, str | None] = {}  # each neighbourhood's DSM method, read once
        self._runs = energy.OpfRuns()
        # Slots and days named in history, read once it is through: ("slot", market, n) or ("day", nb, n).
        self._unread: dict[tuple[str, str, int], None] = {}
        self._subscribers: set[asyncio.Queue[str]] = set()
        self._changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        # httpx logs every request at INFO: a line per node per second would bury the service's own log.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self._tasks = [asyncio.create_task(work()) for work in (self._follow_blocks, self._poll_nodes, self._publish)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)  # each ends cancelled; nothing to report
        self._tasks = []

    # ----- subscribers -----

    def subscribe(self) -> asyncio.Queue[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str]) -> None:
        self._subscribers.discard(queue)

    async def _publish(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._subscribers:
                data = json.dumps(self.snapshot())
                for queue in self._subscribers:
                    if queue.full():
                        queue.get_nowait()
                    queue.put_nowait(data)
            await asyncio.sleep(PUBLISH_EVERY_S)

    # ----- the snapshot -----

    def snapshot(self) -> dict[str, object]:
        now = time.time()
        return {
            "org": self._backend.config.msp_id, "peer": self._backend.peer_name,
            "channel": self._backend.channel_id, "now": now, "window_s": WINDOW_S, "height": self._height(),
            "throughput": self._throughput(now), "codes": dict(self._codes),
            "nodes": [reading.view() for reading in self._readings],
            "latency": [[at, means] for at, means in self._latency],
            "consensus": {"type": self._consensus, "leader_changes": [[at, who] for at, who in self._leaders]},
            "slots": sorted(self._slots.values(), key=lambda s: (s["market_id"], s["slot"]))[-SLOTS_SHOWN:],
            "dsm_days": [self._days[key] for key in sorted(self._days)],
            "opf_runs": self._runs.views(),
        }

    def _height(self) -> int:
        """The org peer's height: from its block events, or from its /healthz before the first block arrives."""
        polled = [r.health.get("height") or 0 for r in self._readings if r.name == self._backend.peer_name]
        return max([self.height, *polled])

    def _throughput(self, now: float) -> list[list[float]]:
        """[bin start, transactions/s, valid/s] per BIN_S over the window, oldest first, empty bins included."""
        first = now - WINDOW_S
        bins = [[first + i * BIN_S, 0.0, 0.0] for i in range(int(WINDOW_S / BIN_S))]
        for block in self._blocks:
            index = int((block.at - first) // BIN_S)
            if 0 <= index < len(bins):
                bins[index][1] += block.transactions / BIN_S
                bins[index][2] += block.valid / BIN_S
        return bins

    def _trim(self, now: float) -> None:
        start = now - WINDOW_S
        while self._blocks and self._blocks[0].at < start:
            self._blocks.popleft()
        while self._latency and self._latency[0][0] < start:
            self._latency.popleft()
        while len(self._leaders) > 1 and self._leaders[0][0] < start:  # the current leader stays
            self._leaders.popleft()

    # ----- blocks -----

    async def _follow_blocks(self) -> None:
        """Every block from the chain's start: the blocks committed before the feed started are history, counted
        for the validation codes, slots, days and runs but not for throughput (they did not arrive now), and their
        slots and days are read once, when the history is through, so a long chain costs one read per row shown."""
        while True:
            try:
                history = await self._history_height()
                async for raw in self._backend.network.blocks(start=self.height):
                    block = decode_block(raw)
                    self._block(block, live=block.number >= history)
                    if self._runs.add(block):
                        self._changed.set()
                    reads = [*(("slot", *key) for key in self._phases(block)),
                             *(("day", *key) for key in energy.touched_days(block))]
                    if block.number + 1 >= history:
                        for read in [*self._backlog(), *reads]:
                            await self._read(read)
                        self._unread.clear()
                    else:
                        self._unread.update(dict.fromkeys(reads))
            except Exception as exc:  # the peer restarting, unreachable, ...: the dashboard waits and follows again
                log.info("dashboard: block events from %s interrupted: %s", self._backend.peer_name, exc)
            await asyncio.sleep(RETRY_S)

    async def _history_height(self) -> int:
        if self.height:
            return self.height
        try:
            return (await self._backend.network.channel_info()).height
        except errors.PermissionDenied:  # the service identity is not an org admin: every block counts as live
            return 0

    def _block(self, block: CommittedBlock, live: bool) -> None:
        now = time.time()
        codes = [tx.code for tx in block.transactions]
        self._codes.update(codes)
        if live:
            self._blocks.append(_Block(now, block.number, len(codes), codes.count("VALID")))
        self.height = max(self.height, block.number + 1)
        self._trim(now)
        self._changed.set()

    def _backlog(self) -> list[tuple[str, str, int]]:
        """What history named, the last SLOTS_SHOWN slots and the last DAYS_SHOWN days (older rows are never shown)."""
        named = list(self._unread)
        return [*[r for r in named if r[0] == "slot"][-SLOTS_SHOWN:],
                *[r for r in named if r[0] == "day"][-energy.DAYS_SHOWN:]]

    async def _read(self, read: tuple[str, str, int]) -> None:
        kind, name, number = read
        await (self._read_slot(name, number) if kind == "slot" else self._read_day(name, number))

    @staticmethod
    def _phases(block: CommittedBlock) -> list[tuple[str, int]]:
        """The (market, slot) of each of the market chaincode's phase events in a block."""
        found = []
        for transaction in block.transactions:
            for chaincode_event in transaction.events:
                if chaincode_event.chaincode == MARKET_CHAINCODE and chaincode_event.name == "phase":
                    phase = json.loads(chaincode_event.payload)
                    found.append((phase["market_id"], int(phase["slot"])))
        return found

    # ----- the market -----

    async def _read_slot(self, market_id: str, slot: int) -> None:
        """The slot's phase and order counts, with the clearing result once it is cleared."""
        contract = self._backend.network.contract(MARKET_CHAINCODE)
        try:
            state = json.loads(await contract.evaluate("get_slot", market_id, str(slot)))
            view = {"market_id": market_id, "slot": slot, "phase": state["phase"],
                    "buy_orders": state["orders"].get("buy", 0), "sell_orders": state["orders"].get("sell", 0),
                    "reveals": state["reveals"], "price": None, "volume_wh": None}
            if state["phase"] in ("cleared", "settled"):
                result = json.loads(await contract.evaluate("get_result", market_id, str(slot)))
                view.update(price=result["price"], volume_wh=result["volume_wh"])
        except (errors.GridLedgerError, ValueError, KeyError) as exc:
            log.info("dashboard: cannot read slot %s of market %s: %s", slot, market_id, exc)
            return
        self._slots[(market_id, slot)] = view
        while len(self._slots) > SLOTS_SHOWN:
            del self._slots[min(self._slots)]
        self._changed.set()

    # ----- demand-side management -----

    async def _read_day(self, nb: str, day: int) -> None:
        """The day's phase, iteration and aggregate (energy.day_view); the neighbourhood's method the first time."""
        contract = self._backend.network.contract(energy.DSM_CHAINCODE)
        try:
            if nb not in self._methods:
                neighbourhood = json.loads(await contract.evaluate("get_neighbourhood", nb))
                self._methods[nb] = neighbourhood["config"]["method"]
            record = json.loads(await contract.evaluate("get_day", nb, str(day)))
            view = energy.day_view(nb, record, self._methods[nb])
        except (errors.GridLedgerError, ValueError, KeyError, TypeError) as exc:
            log.info("dashboard: cannot read day %s of neighbourhood %s: %s", day, nb, exc)
            return
        self._days[(nb, day)] = view
        while len(self._days) > energy.DAYS_SHOWN:
            del self._days[min(self._days)]
        self._changed.set()

    async def _refresh_open_slots(self) -> None:
        """Orders arrive without phase events: re-read the slots still taking them."""
        for market_id, slot in [key for key, view in self._slots.items() if view["phase"] in ("bid", "reveal")]:
            await self._read_slot(market_id, slot)

    # ----- nodes -----

    async def _poll_nodes(self) -> None:
        async with httpx.AsyncClient() as client:
            while True:
                readings = list(await asyncio.gather(*(read_node(client, *node) for node in self._nodes)))
                now = time.time()
                means = stage_means(self._readings, readings)
                if means:
                    self._latency.append((now, means))
                self._note_leader(now, readings)
                self._readings = readings
                await self._refresh_open_slots()
                self._trim(now)
                self._changed.set()
                await asyncio.sleep(POLL_S)

    def _note_leader(self, now: float, readings: list[NodeReading]) -> None:
        """A leader change is when the leader most healthy orderers name differs from the last one noted."""
        named = collections.Counter(r.health["leader"] for r in readings
                                    if r.role == "orderer" and r.healthy and r.health.get("leader"))
        if named:
            leader = named.most_common(1)[0][0]
            if not self._leaders or self._leaders[-1][1] != leader:
                self._leaders.append((now, leader))
