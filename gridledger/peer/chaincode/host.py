"""ChaincodeHost: runs installed chaincodes in worker processes and serves their state access from a TxSimulator.

One execute() is one conversation per chaincode involved: the invocation goes out, the worker's requests for state
are answered from the simulator, and its result comes back with its writes. Failures never escape as exceptions:
an exception in the contract (500), an unknown function or bad arguments (400), a worker that exceeds the call's
time budget (killed and replaced; 500) or dies (replaced; 500) all become error responses, and the peer keeps
serving. Only a failure of the simulator itself (the peer's own state) is raised.

Calls between chaincodes share the caller's simulator and time budget. A failed nested call leaves no writes or
events behind (its effects are rolled back; its reads stay recorded, they were made). Re-entering a chaincode that
is already on the call stack is refused, because its worker is busy waiting for the nested call. A nested call
waits for a free worker of its callee only within the caller's budget, so two transactions calling each other's
chaincodes crosswise with one worker each end in a timeout, never in a deadlock.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gridledger.chaincode.context import TxContext
from gridledger.chaincode.errors import BAD_REQUEST, INTERNAL_ERROR
from gridledger.peer.chaincode.messages import context_to_message, error_response
from gridledger.peer.chaincode.pool import WorkerPool
from gridledger.peer.chaincode.process import WorkerGone, WorkerProcess, WorkerStartError, WorkerTimeout
from gridledger.peer.chaincode.rangescan import RangeScan
from gridledger.peer.chaincode.simulator import TxSimulator
from gridledger.v1 import chaincode_pb2, transaction_pb2

DEFAULT_TIMEOUT_S = 3.0
DEFAULT_START_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class ExecutionResult:
    """The chaincode's response and the events it set (top-level and successful nested calls, in order)."""

    response: transaction_pb2.Response
    events: tuple[transaction_pb2.ChaincodeEvent, ...] = ()

    @property
    def status(self) -> int:
        return self.response.status

    @property
    def message(self) -> str:
        return self.response.message

    @property
    def payload(self) -> bytes:
        return self.response.payload

    @property
    def ok(self) -> bool:
        return self.response.status < 400


class _CallAborted(Exception):
    """The time budget ran out inside a nested call: every worker on the call stack is mid-conversation and must
    be replaced, and the whole execution fails with this message."""


class _DiedUnused(Exception):
    """The worker died before sending anything for this invocation: the simulator is untouched."""


class ChaincodeHost:
    """Chaincode workers by name; thread-safe (see pool.py for how concurrent calls are spread over workers)."""

    def __init__(self, *, timeout_s: float = DEFAULT_TIMEOUT_S, start_timeout_s: float = DEFAULT_START_TIMEOUT_S,
                 pool_size: int = 2, range_page_size: int = 100, max_call_depth: int = 8,
                 python: str = sys.executable) -> None:
        if timeout_s <= 0 or start_timeout_s <= 0 or range_page_size < 1 or max_call_depth < 1:
            raise ValueError("timeouts, page size and call depth must be positive")
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self._pool_size = pool_size
        self._page_size = range_page_size
        self._max_depth = max_call_depth
        self._python = python
        self._pools: dict[str, WorkerPool] = {}
        self._lock = threading.Lock()
        self._closed = False

    # ---- chaincodes ----

    def register(self, name: str, folder: str | Path) -> None:
        """Serve chaincode `name` from `folder` (a chaincode package folder). Re-registering a name with another
        folder (an upgrade) retires the old workers once their current calls finish."""
        path = Path(folder).resolve()
        if not (path / "__init__.py").is_file():
            raise ValueError(f"{path} is not a chaincode folder (no __init__.py)")
        with self._lock:
            if self._closed:
                raise RuntimeError("the chaincode host is closed")
            old = self._pools.get(name)
            if old is not None and old.folder == path:
                return
            self._pools[name] = WorkerPool(name, path, self._pool_size, self._start_worker)
        if old is not None:
            old.close()

    def unregister(self, name: str) -> None:
        with self._lock:
            pool = self._pools.pop(name, None)
        if pool is not None:
            pool.close()

    def registered(self) -> list[str]:
        with self._lock:
            return sorted(self._pools)

    def start(self, name: str) -> None:
        """Make sure one worker of `name` is running (to pay start-up before the first proposal, and to surface a
        chaincode that cannot load); raises WorkerStartError or KeyError."""
        pool = self._pool(name)
        if pool is None:
            raise KeyError(name)
        try:
            worker = pool.acquire(time.monotonic() + self.start_timeout_s)
        except WorkerTimeout:
            return  # every worker is busy, so some are running
        pool.release(worker)

    def _start_worker(self, name: str, folder: Path) -> WorkerProcess:
        return WorkerProcess.start(name, folder, self.start_timeout_s, self._python)

    def _pool(self, name: str) -> WorkerPool | None:
        with self._lock:
            return self._pools.get(name)

    # ---- execution ----

    def execute(self, chaincode_name: str, function: str, args: Sequence[bytes], context: TxContext,
                simulator: TxSimulator, timeout_s: float | None = None) -> ExecutionResult:
        """Run `function(args)` of `chaincode_name` for the transaction in `context`, reading and writing through
        `simulator` (writes are applied to it only if the response is a success). `timeout_s` (default: the
        host's) bounds the whole call including nested calls; it starts once a worker is ready, so starting a
        worker (bounded by start_timeout_s) is not charged to the chaincode."""
        execution = _Execution(self, context, simulator, self.timeout_s if timeout_s is None else timeout_s)
        savepoint = simulator.savepoint()
        try:
            response = execution.call(chaincode_name, function, list(args), ())
        except _CallAborted as exc:
            response = error_response(INTERNAL_ERROR, str(exc))
        if response.status >= 400:
            simulator.rollback(savepoint)
            return ExecutionResult(response)
        return ExecutionResult(response, tuple(execution.events))

    def close(self) -> None:
        """Stop every worker; later calls get an error response."""
        with self._lock:
            self._closed = True
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def __enter__(self) -> ChaincodeHost:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Execution:
    """State of one execute(): the simulator, the shared deadline, and the events of successful calls."""

    def __init__(self, host: ChaincodeHost, context: TxContext, simulator: TxSimulator, timeout_s: float) -> None:
        self._host = host
        self._context = context_to_message(context)
        self._tx_id = context.tx_id
        self._simulator = simulator
        self._timeout_s = timeout_s
        self._deadline: float | None = None  # starts when the first worker is ready, so start-up is not charged
        self.events: list[transaction_pb2.ChaincodeEvent] = []

    def call(self, name: str, function: str, args: list[bytes], stack: tuple[str, ...]) -> transaction_pb2.Response:
        pool = self._host._pool(name)
        if pool is None:
            return error_response(BAD_REQUEST, f"chaincode {name!r} is not installed on this peer")
        context = self._context
        if stack:
            context = chaincode_pb2.WorkerContext()
            context.CopyFrom(self._context)
            context.caller = stack[-1]
        invoke = chaincode_pb2.HostToWorker(invoke=chaincode_pb2.WorkerInvoke(
            context=context, function=function, args=args))
        for attempt in (1, 2):
            try:
                wait_until = self._deadline or time.monotonic() + self._host.start_timeout_s
                worker = pool.acquire(wait_until)
            except WorkerStartError as exc:
                return error_response(INTERNAL_ERROR, str(exc))
            except WorkerTimeout:
                return error_response(INTERNAL_ERROR, f"chaincode {name!r}: no worker became free in time")
            if self._deadline is None:
                self._deadline = time.monotonic() + self._timeout_s
            try:
                worker.send(invoke, self._deadline)
                return self._converse(pool, worker, name, stack)
            except _DiedUnused as exc:
                # The worker died before answering anything (for example killed from outside while idle, in
                # the instant before the pool could notice): nothing was read or written, so one retry is safe.
                if attempt == 2:
                    return error_response(INTERNAL_ERROR, f"chaincode {name!r} failed: {exc}")
            except WorkerGone as exc:
                pool.discard(worker)
                if attempt == 2:
                    return error_response(INTERNAL_ERROR, f"chaincode {name!r} failed: {exc}")
            except WorkerTimeout:
                pool.discard(worker)
                return self._timed_out(name, stack)
        raise AssertionError("unreachable")

    def _timed_out(self, name: str, stack: tuple[str, ...]) -> transaction_pb2.Response:
        message = f"chaincode {name!r} timed out after {self._timeout_s:g} s"
        if stack:
            raise _CallAborted(message)
        return error_response(INTERNAL_ERROR, message)

    def _converse(self, pool: WorkerPool, worker: WorkerProcess, name: str,
                  stack: tuple[str, ...]) -> transaction_pb2.Response:
        assert self._deadline is not None
        scans: dict[int, RangeScan] = {}
        answered = False
        try:
            while True:
                try:
                    message = worker.receive(self._deadline)
                except WorkerGone as exc:
                    if not answered:
                        raise _DiedUnused(str(exc)) from None
                    raise
                answered = True
                kind = message.WhichOneof("kind")
                if kind == "done":
                    response = self._finish(name, message.done, scans)
                    break
                worker.send(self._answer(name, kind, message, scans, stack), self._deadline)
        except WorkerTimeout:
            pool.discard(worker)
            return self._timed_out(name, stack)
        except _DiedUnused:
            pool.discard(worker)
            raise
        except WorkerGone as exc:
            pool.discard(worker)
            return error_response(INTERNAL_ERROR, f"chaincode {name!r} failed: {exc}")
        except BaseException:
            pool.discard(worker)  # aborted deeper down, or the simulator failed: the conversation cannot resume
            raise
        finally:
            for scan in scans.values():
                scan.close()
        pool.release(worker)
        return response

    def _answer(self, name: str, kind: str | None, message: chaincode_pb2.WorkerToHost, scans: dict[int, RangeScan],
                stack: tuple[str, ...]) -> chaincode_pb2.HostToWorker:
        simulator = self._simulator
        if kind == "get_states":
            values = simulator.get_states(name, list(message.get_states.keys))
            return chaincode_pb2.HostToWorker(state_values=chaincode_pb2.WorkerStateValues(values=[
                chaincode_pb2.WorkerStateValue(exists=value is not None, value=value or b"") for value in values]))
        if kind == "range_open":
            request = message.range_open
            simulator.apply_writes(name, request.writes)
            scan = simulator.get_state_by_range(name, request.start_key, request.end_key)
            scans[len(scans) + 1] = scan
            return self._page(len(scans), scan)
        if kind == "range_next":
            iterator_id = message.range_next.iterator_id
            if iterator_id not in scans:
                return chaincode_pb2.HostToWorker(error=f"unknown range iterator {iterator_id}")
            return self._page(iterator_id, scans[iterator_id])
        if kind == "invoke_chaincode":
            request = message.invoke_chaincode
            simulator.apply_writes(name, request.writes)
            response = self._nested(request.chaincode, request.function, list(request.args), (*stack, name))
            return chaincode_pb2.HostToWorker(invoke_response=response)
        raise WorkerGone(f"the worker sent an unexpected {kind or 'empty'} message")

    def _page(self, iterator_id: int, scan: RangeScan) -> chaincode_pb2.HostToWorker:
        entries = [chaincode_pb2.WorkerRangeEntry(key=key, value=value)
                   for key, value in scan.next_items(self._host._page_size)]
        return chaincode_pb2.HostToWorker(range_page=chaincode_pb2.WorkerRangePage(
            iterator_id=iterator_id, entries=entries, done=scan.ended))

    def _nested(self, target: str, function: str, args: list[bytes],
                stack: tuple[str, ...]) -> transaction_pb2.Response:
        if target in stack:
            path = " -> ".join((*stack, target))
            return error_response(INTERNAL_ERROR, f"recursive chaincode invocation is not supported: {path}")
        if len(stack) >= self._host._max_depth:
            return error_response(INTERNAL_ERROR, f"chaincode call depth limit ({self._host._max_depth}) reached")
        savepoint = self._simulator.savepoint()
        mark = len(self.events)
        response = self.call(target, function, args, stack)
        if response.status >= 400:
            self._simulator.rollback(savepoint)
            del self.events[mark:]
        return response

    def _finish(self, name: str, done: chaincode_pb2.WorkerDone,
                scans: dict[int, RangeScan]) -> transaction_pb2.Response:
        for use in done.ranges:
            scan = scans.get(use.iterator_id)
            if scan is not None:
                scan.finish(use.consumed, use.exhausted)
        response = transaction_pb2.Response()
        response.CopyFrom(done.response)
        if not 100 <= response.status <= 599:
            return error_response(INTERNAL_ERROR, f"chaincode {name!r} returned invalid status {response.status}")
        if response.status < 400:
            self._simulator.apply_writes(name, done.writes)
            if done.HasField("event"):
                self.events.append(transaction_pb2.ChaincodeEvent(
                    chaincode=name, tx_id=self._tx_id, name=done.event.name, payload=done.event.payload))
        return response
