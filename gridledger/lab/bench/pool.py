"""The coordinator's side of the worker processes: spawn them, hand out rounds, collect their records.

Processes are spawned (not forked): the coordinator already holds gRPC channels, which do not survive a fork.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import time
from collections.abc import Callable
from dataclasses import replace

from gridledger.lab.bench.stats import Record
from gridledger.lab.bench.worker import RoundOrder, Shared, WorkerConfig, worker_main

POLL = 0.1
READY_TIMEOUT = 60.0


class WorkerError(RuntimeError):
    """A worker crashed or did not answer; the message carries its traceback."""


class WorkerPool:
    def __init__(self, configs: list[WorkerConfig]) -> None:
        context = multiprocessing.get_context("spawn")
        self.shared = Shared.create(context, len(configs))
        self._results: multiprocessing.Queue = context.Queue()
        self._commands = [context.Queue() for _ in configs]
        self._processes = [context.Process(target=worker_main, args=(config, commands, self._results, self.shared),
                                           name=f"bench-worker-{config.index}", daemon=True)
                           for config, commands in zip(configs, self._commands, strict=True)]
        self.pids: dict[str, int] = {}

    async def _collect(self, kind: str, count: int, timeout: float,
                       tick: Callable[[], None] | None = None) -> dict[int, object]:
        """Wait for `count` replies of `kind`, calling `tick` between polls; raise on a worker's error."""
        replies: dict[int, object] = {}
        deadline = time.monotonic() + timeout
        while len(replies) < count:
            try:
                reply_kind, index, payload = self._results.get_nowait()
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise WorkerError(f"{count - len(replies)} worker(s) sent no {kind} within {timeout:.0f}s") \
                        from None
                if tick is not None:
                    tick()
                await asyncio.sleep(POLL)
                continue
            if reply_kind == "error":
                raise WorkerError(f"worker {index} failed:\n{payload}")
            if reply_kind == kind:
                replies[index] = payload
        return replies

    async def start(self) -> None:
        for process in self._processes:
            process.start()
        ready = await self._collect("ready", len(self._processes), READY_TIMEOUT)
        self.pids = {f"bench-worker-{index}": int(pid) for index, pid in sorted(ready.items())}  # type: ignore[arg-type]

    async def setup(self, order: RoundOrder, timeout: float) -> None:
        """Each of the round's workers prepares its workload (preloads state); returns when all have."""
        for commands in self._commands[:order.workers]:
            commands.put(("setup", order))
        await self._collect("setup-done", order.workers, timeout)

    async def run(self, order: RoundOrder, start_at: float, tick: Callable[[], None]) -> list[Record]:
        """Run the round from `start_at`; `tick` is called about every POLL seconds until every worker reported."""
        started = replace(order, start_at=start_at)
        for commands in self._commands[:order.workers]:
            commands.put(("run", started))
        timeout = start_at - time.monotonic() + order.duration + order.tx_timeout + 30
        replies = await self._collect("result", order.workers, timeout, tick)
        return [record for records in replies.values() for record in records]  # type: ignore[attr-defined]

    def stop(self) -> None:
        for commands in self._commands:
            commands.put(("stop", None))
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
