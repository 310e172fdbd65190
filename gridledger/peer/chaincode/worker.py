"""The chaincode worker: a separate OS process that runs one chaincode for the peer.

Started by the host as `python -m gridledger.peer.chaincode.worker FOLDER`. It loads the contract once, reports
ready, then serves invocations one at a time over its stdin/stdout (see chaincode.proto). The contract talks to the
peer through PipeBackend, which keeps each invocation cheap: values already read or written are answered locally,
reads the contract asks for together go in one request, and writes are buffered and shipped with the result (or
with the one request that needs them applied first: a range scan or a call to another chaincode).

The protocol pipes are moved off fds 0 and 1 before any contract code runs, so a contract that prints or reads
standard input cannot corrupt the protocol (its prints go to stderr).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence

from google.protobuf.message import DecodeError

from gridledger.chaincode.loader import load_contract
from gridledger.chaincode.response import ChaincodeResponse
from gridledger.chaincode.runner import Outcome, run_function
from gridledger.peer.chaincode.framing import ChannelClosed, WorkerChannel
from gridledger.peer.chaincode.messages import context_from_message, response_from_message, response_to_message
from gridledger.v1 import chaincode_pb2, rwset_pb2, transaction_pb2


class PeerGone(BaseException):
    """The peer closed the pipe or broke the protocol. A BaseException, so that contract code catching Exception
    cannot swallow it and carry on with a desynchronised pipe."""


class HostRefused(Exception):
    """The peer refused a request of the contract (raised inside the contract, which fails with this message)."""


class PipeBackend:
    """StateBackend over the worker's pipe to the peer, for one invocation at a time (reset() between)."""

    def __init__(self, channel: WorkerChannel) -> None:
        self._channel = channel
        self.reset()

    def reset(self) -> None:
        self._known: dict[str, bytes | None] = {}
        self._pending: dict[str, bytes | None] = {}
        self._ranges: list[_RangeIterator] = []

    def request(self, message: chaincode_pb2.WorkerToHost, expect: str) -> chaincode_pb2.HostToWorker:
        try:
            self._channel.send(message.SerializeToString())
            payload = self._channel.receive()
            if payload is None:
                raise PeerGone("the peer closed the pipe")
            reply = chaincode_pb2.HostToWorker.FromString(payload)
        except (ChannelClosed, DecodeError, OSError) as exc:
            raise PeerGone(str(exc)) from None
        kind = reply.WhichOneof("kind")
        if kind == "error":
            raise HostRefused(reply.error)
        if kind != expect:
            raise PeerGone(f"expected {expect} from the peer, got {kind}")
        return reply

    # ---- StateBackend ----

    def get_states(self, keys: Sequence[str]) -> list[bytes | None]:
        missing = [key for key in dict.fromkeys(keys) if key not in self._known]
        if missing:
            request = chaincode_pb2.WorkerToHost(get_states=chaincode_pb2.WorkerGetStates(keys=missing))
            values = self.request(request, "state_values").state_values.values
            if len(values) != len(missing):
                raise PeerGone(f"asked for {len(missing)} values, got {len(values)}")
            for key, value in zip(missing, values, strict=True):
                self._known[key] = value.value if value.exists else None
        return [self._known[key] for key in keys]

    def put_state(self, key: str, value: bytes) -> None:
        self._known[key] = value
        self._pending[key] = value

    def del_state(self, key: str) -> None:
        self._known[key] = None
        self._pending[key] = None

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes]]:
        request = chaincode_pb2.WorkerToHost(range_open=chaincode_pb2.WorkerRangeOpen(
            start_key=start, end_key=end, writes=self._take_writes()))
        iterator = _RangeIterator(self, self.request(request, "range_page").range_page)
        self._ranges.append(iterator)
        return iterator

    def invoke_chaincode(self, name: str, function: str, args: list[bytes]) -> ChaincodeResponse:
        request = chaincode_pb2.WorkerToHost(invoke_chaincode=chaincode_pb2.WorkerInvokeChaincode(
            chaincode=name, function=function, args=args, writes=self._take_writes()))
        return response_from_message(self.request(request, "invoke_response").invoke_response)

    # ---- result ----

    def _take_writes(self) -> list[rwset_pb2.KVWrite]:
        writes = [rwset_pb2.KVWrite(key=key, is_delete=value is None, value=value or b"")
                  for key, value in self._pending.items()]
        self._pending.clear()
        return writes

    def done(self, outcome: Outcome) -> chaincode_pb2.WorkerDone:
        """The invocation's result with the writes still buffered (only on success) and how ranges were used."""
        done = chaincode_pb2.WorkerDone(
            response=response_to_message(outcome.response),
            ranges=[chaincode_pb2.WorkerRangeUse(iterator_id=it.iterator_id, consumed=it.consumed,
                                                 exhausted=it.exhausted) for it in self._ranges],
        )
        if outcome.response.ok:
            done.writes.extend(self._take_writes())
            if outcome.event is not None:
                done.event.CopyFrom(transaction_pb2.ChaincodeEvent(name=outcome.event[0], payload=outcome.event[1]))
        return done


class _RangeIterator:
    """Pages of a range scan, fetched from the peer as the contract iterates; counts what the contract consumed."""

    def __init__(self, backend: PipeBackend, first: chaincode_pb2.WorkerRangePage) -> None:
        self._backend = backend
        self.iterator_id = first.iterator_id
        self._entries = list(first.entries)
        self._position = 0
        self._done = first.done
        self.consumed = 0
        self.exhausted = False

    def __iter__(self) -> _RangeIterator:
        return self

    def __next__(self) -> tuple[str, bytes]:
        while self._position >= len(self._entries):
            if self._done:
                self.exhausted = True
                raise StopIteration
            request = chaincode_pb2.WorkerToHost(range_next=chaincode_pb2.WorkerRangeNext(iterator_id=self.iterator_id))
            page = self._backend.request(request, "range_page").range_page
            self._entries = list(page.entries)
            self._position = 0
            self._done = page.done
        entry = self._entries[self._position]
        self._position += 1
        self.consumed += 1
        return entry.key, entry.value


def _watch_parent(parent: int) -> None:
    """Exit when the peer dies, even while a contract spins: this thread still gets the GIL every few ms."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _protocol_streams() -> WorkerChannel:
    reader = os.fdopen(os.dup(0), "rb")
    writer = os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the process
    sys.stdout = sys.stderr
    return WorkerChannel(reader, writer)


def serve(channel: WorkerChannel, folder: str) -> int:
    try:
        contract = load_contract(folder)
    except BaseException as exc:  # any failure to load, even SystemExit, is reported, not raised
        error = str(exc) or type(exc).__name__
        channel.send(chaincode_pb2.WorkerToHost(ready=chaincode_pb2.WorkerReady(error=error)).SerializeToString())
        return 1
    channel.send(chaincode_pb2.WorkerToHost(ready=chaincode_pb2.WorkerReady()).SerializeToString())
    backend = PipeBackend(channel)
    while True:
        payload = channel.receive()
        if payload is None:
            return 0
        message = chaincode_pb2.HostToWorker.FromString(payload)
        if message.WhichOneof("kind") != "invoke":
            return 2
        invoke = message.invoke
        backend.reset()
        outcome = run_function(contract, context_from_message(invoke.context), invoke.function, list(invoke.args),
                               backend)
        channel.send(chaincode_pb2.WorkerToHost(done=backend.done(outcome)).SerializeToString())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="gridledger chaincode worker (started by the peer)")
    parser.add_argument("folder", help="the chaincode package folder")
    args = parser.parse_args(argv)
    sys.dont_write_bytecode = True
    channel = _protocol_streams()
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True, name="parent-watch").start()
    try:
        return serve(channel, args.folder)
    except (PeerGone, ChannelClosed, DecodeError, BrokenPipeError):
        return 3


if __name__ == "__main__":
    sys.exit(main())
