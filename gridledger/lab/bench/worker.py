"""A benchmark worker: its own process, its own gateway connection, sending one workload at the coordinator's pace.

Workers are processes (not tasks) so that client-side signing and protobuf work use both cores and do not share
the coordinator's event loop. The coordinator talks to each worker over a command queue and collects replies on a
shared result queue; the current target (a rate or a backlog, see rates.py) and per-worker counters of sent and
completed transactions live in shared memory so the coordinator can steer and show progress without messages.

Every transaction is submitted once, without retries (as Caliper does), and recorded as (start, latency,
outcome), start relative to the round's start on the system-wide monotonic clock; the outcome is "VALID", the
validation code name, or the SDK error class for failures before ordering.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridledger.common import eventloop
from gridledger.common.material import load_member
from gridledger.common.msp import SigningIdentity
from gridledger.lab.bench.stats import Record
from gridledger.lab.bench.workloads import WorkerSlot, Workload, workload_class
from gridledger.sdk import NO_RETRY, Contract, Gateway, GridLedgerError, TransactionInvalid

TICK = 0.005  # seconds between pacing decisions: fine enough for a few thousand tx/s per worker


@dataclass(frozen=True)
class WorkerConfig:
    """Where worker `index` connects and as whom (picklable: handed to a spawned process)."""

    index: int
    peer_address: str
    msp_id: str
    member: str
    crypto_dir: Path
    trusted_orgs: tuple[str, ...]
    channel: str
    run_id: str


@dataclass(frozen=True)
class RoundOrder:
    """One round as a worker sees it."""

    index: int
    workers: int  # taking part in this round: workers 0..workers-1
    workload: str
    options: dict[str, Any]
    duration: float
    start_at: float  # time.monotonic() at which to start sending
    tx_timeout: float
    max_in_flight: int


@dataclass
class Shared:
    """Shared memory between the coordinator and its workers (created by the coordinator before spawning)."""

    target: Any  # multiprocessing Value('d'): total rate or backlog for all workers together
    load_mode: Any  # Value('b'): 1 while the target is a backlog (see rates.py: maximum-rate switches mid-round)
    sent: Any  # Array('q'), one slot per worker
    completed: Any  # Array('q')
    valid: Any  # Array('q'): completed VALID

    @classmethod
    def create(cls, context: multiprocessing.context.BaseContext, workers: int) -> Shared:
        return cls(context.Value("d", 0.0, lock=False), context.Value("b", 0, lock=False),
                   context.Array("q", workers, lock=False),
                   context.Array("q", workers, lock=False), context.Array("q", workers, lock=False))

    def reset(self) -> None:
        for array in (self.sent, self.completed, self.valid):
            for i in range(len(array)):
                array[i] = 0


def outcome_of(exc: BaseException) -> str:
    """Validation code name for an ordered-but-invalid transaction, else the error's class name."""
    if isinstance(exc, TransactionInvalid):
        return exc.code_name
    return type(exc).__name__


class RoundRunner:
    """Sends one round's transactions from this worker and records them."""

    def __init__(self, config: WorkerConfig, order: RoundOrder, contract: Contract, workload: Workload,
                 shared: Shared) -> None:
        self.config, self.order, self.contract, self.workload, self.shared = config, order, contract, workload, shared
        self.records: list[Record] = []
        self._contracts: dict[bytes, Contract] = {}
        self.in_flight: set[asyncio.Task] = set()
        self.sequence = 0

    def _contract_for(self, identity: SigningIdentity | None) -> Contract:
        """The worker's contract, or the same chaincode signed by `identity` over the same connection."""
        if identity is None:
            return self.contract
        contract = self._contracts.get(identity.certificate)
        if contract is None:
            network = self.contract.network
            contract = network.gateway.with_identity(identity).network(network.channel_id).contract(
                self.contract.name)
            self._contracts[identity.certificate] = contract
        return contract

    async def _one(self, sequence: int) -> None:
        tx = self.workload.transaction(sequence)
        contract = self._contract_for(tx.identity)
        started = time.monotonic()
        try:
            await contract.submit(tx.function, *tx.args, retry=NO_RETRY, timeout=self.order.tx_timeout)
            outcome = "VALID"
        except GridLedgerError as exc:
            outcome = outcome_of(exc)
        except Exception as exc:  # a benchmark records every failure instead of stopping
            outcome = type(exc).__name__
        finished = time.monotonic()
        self.records.append((started - self.order.start_at, finished - started, outcome))
        index = self.config.index
        self.shared.completed[index] += 1
        if outcome == "VALID":
            self.shared.valid[index] += 1

    def _launch(self) -> None:
        task = asyncio.create_task(self._one(self.sequence))
        self.sequence += 1
        self.shared.sent[self.config.index] += 1
        self.in_flight.add(task)
        task.add_done_callback(self.in_flight.discard)

    def _share(self) -> float:
        return self.shared.target.value / self.order.workers

    async def run(self) -> list[Record]:
        await asyncio.sleep(max(0.0, self.order.start_at - time.monotonic()))
        await self._send(self.order.start_at + self.order.duration)
        if self.in_flight:
            await asyncio.wait(set(self.in_flight), timeout=self.order.tx_timeout + 5)
        return self.records

    async def _send(self, deadline: float) -> None:
        """Until the deadline, either keep the target backlog in flight or pace at the target rate (a token bucket
        whose credit grows with the rate, a burst capped at one tick's worth plus one); the coordinator may switch
        between the two at any tick."""
        credit, last = 0.0, time.monotonic()
        while (now := time.monotonic()) < deadline:
            if self.shared.load_mode.value:
                backlog = max(1, math.ceil(self._share()))
                while len(self.in_flight) < min(backlog, self.order.max_in_flight):
                    self._launch()
                credit, last = 0.0, now
                await asyncio.wait(set(self.in_flight), timeout=min(0.05, deadline - now),
                                   return_when=asyncio.FIRST_COMPLETED)
                continue
            rate = self._share()
            credit = min(credit + rate * (now - last), rate * TICK + 1)
            last = now
            while credit >= 1:
                credit -= 1
                if len(self.in_flight) < self.order.max_in_flight:
                    self._launch()
            await asyncio.sleep(TICK)


async def serve(config: WorkerConfig, commands: multiprocessing.Queue, results: multiprocessing.Queue,
                shared: Shared) -> None:
    """Per round: ("setup", order) prepares the workload (untimed) and answers setup-done; ("run", order) then
    sends it and answers with the records. ("stop", None) ends the worker."""
    material = load_member(config.crypto_dir, config.msp_id, config.member, list(config.trusted_orgs))
    async with await Gateway.connect(config.peer_address, material.identity, material.tls, stream_threshold=1,
                                     retry=NO_RETRY) as gateway:
        network = gateway.network(config.channel)
        results.put(("ready", config.index, os.getpid()))
        while True:
            command, order = await asyncio.to_thread(commands.get)
            if command == "stop":
                return
            cls = workload_class(order.workload)
            prefix = f"{config.run_id}-r{order.index}-w{config.index}"
            workload = cls(WorkerSlot(config.index, order.workers, order.index, prefix, config.msp_id,
                                      config.crypto_dir), order.options)
            contract = network.contract(cls.chaincode)
            await workload.setup(contract)
            results.put(("setup-done", config.index, None))
            command, order = await asyncio.to_thread(commands.get)
            if command == "stop":
                return
            records = await RoundRunner(config, order, contract, workload, shared).run()
            results.put(("result", config.index, records))


def worker_main(config: WorkerConfig, commands: multiprocessing.Queue, results: multiprocessing.Queue,
                shared: Shared) -> None:
    """Process entry point: serve rounds until told to stop; report a crash instead of dying silently."""
    try:
        eventloop.run(serve(config, commands, results, shared))
    except Exception:  # the coordinator must learn why a worker died
        results.put(("error", config.index, traceback.format_exc()))
