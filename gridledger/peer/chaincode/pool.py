"""A small pool of workers for one chaincode.

Concurrency choice: each worker serves one invocation at a time (a contract is plain sequential Python), and a
chaincode gets up to `size` workers, started on demand, so concurrent proposals for the same chaincode run in
parallel processes instead of queueing behind one. A worker that was killed (timeout) or died is replaced in the
background, so the next call normally finds a warm one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from gridledger.peer.chaincode.process import WorkerProcess, WorkerStartError, WorkerTimeout

log = logging.getLogger(__name__)
Starter = Callable[[str, Path], WorkerProcess]


class WorkerPool:
    """Idle workers of one chaincode plus a count of all workers (idle, busy or starting)."""

    def __init__(self, name: str, folder: Path, size: int, starter: Starter) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one worker")
        self.name = name
        self.folder = folder
        self._size = size
        self._starter = starter
        self._idle: list[WorkerProcess] = []
        self._count = 0
        self._closed = False
        self._cond = threading.Condition()
        self._replacers: list[threading.Thread] = []

    def acquire(self, deadline: float) -> WorkerProcess:
        """An idle live worker, a newly started one if the pool is not full, else wait for one until `deadline`."""
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerStartError(f"chaincode {self.name!r} is shutting down")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    self._count -= 1  # died while idle (killed from outside): forget it
                    worker.kill()
                if self._count < self._size:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._cond.wait(remaining):
                    raise WorkerTimeout
        return self._start_reserved()

    def _start_reserved(self) -> WorkerProcess:
        """Start a worker for a slot already counted; give the slot back if it fails."""
        try:
            return self._starter(self.name, self.folder)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise

    def release(self, worker: WorkerProcess) -> None:
        """Return a healthy worker after an invocation."""
        with self._cond:
            if not self._closed:
                self._idle.append(worker)
                self._cond.notify()
                return
            self._count -= 1
        worker.stop()

    def discard(self, worker: WorkerProcess) -> None:
        """Kill a worker that timed out, died or broke the protocol, and start a replacement in the background."""
        worker.kill()
        with self._cond:
            self._count -= 1
            self._cond.notify()
            if self._closed or self._count >= self._size:
                return
            self._count += 1
            thread = threading.Thread(target=self._replace, name=f"chaincode-{self.name}-respawn", daemon=True)
            self._replacers = [t for t in self._replacers if t.is_alive()]
            self._replacers.append(thread)
            thread.start()

    def _replace(self) -> None:
        try:
            worker = self._start_reserved()
        except WorkerStartError as exc:
            log.warning("replacing a worker of chaincode %r failed: %s", self.name, exc)
            return
        self.release(worker)

    def close(self, timeout_s: float = 10.0) -> None:
        """Stop idle workers and wait for replacements being started (they stop themselves on return); busy
        workers are stopped when their invocation gives them back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            replacers = list(self._replacers)
            self._cond.notify_all()
        for worker in idle:
            worker.stop()
        deadline = time.monotonic() + timeout_s
        for thread in replacers:
            thread.join(max(0.0, deadline - time.monotonic()))
