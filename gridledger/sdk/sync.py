"""A thin blocking wrapper over the async SDK, for scripts and notebooks:

    with SyncGateway.connect("127.0.0.1:7051", identity, tls) as gateway:
        contract = gateway.network("energy").contract("kv")
        print(contract.submit("put", "meter-17", "1250").block)

The async objects live on a private event loop in a daemon thread; every method hands its coroutine to that loop
and waits for the result, so the sync objects may be used from any thread. Event streams become iterators.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from gridledger.common.grpcutil import TlsMaterial
from gridledger.common.msp import SigningIdentity
from gridledger.sdk.events import BlockEvent, ChaincodeEvent, CommitStatus
from gridledger.sdk.gateway import Arg, Contract, Gateway, Network, RetryCallback, RetryPolicy
from gridledger.sdk.local import DEFAULT_DATA_DIR
from gridledger.sdk.transport import SubmitResult


class _LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="gridledger-sdk", daemon=True)
        self._thread.start()

    def run(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def iterate(self, iterator: AsyncIterator) -> Iterator:
        try:
            while True:
                try:
                    yield self.run(iterator.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None and self.loop.is_running():
                self.run(aclose())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class SyncContract:
    def __init__(self, runner: _LoopThread, contract: Contract) -> None:
        self._runner = runner
        self.contract = contract

    def submit(self, function: str, *args: Arg, transient: Mapping[str, bytes] | None = None,
               endorsing_orgs: Sequence[str] = (), timeout: float | None = None, retry: RetryPolicy | None = None,
               on_retry: RetryCallback | None = None) -> SubmitResult:
        return self._runner.run(self.contract.submit(function, *args, transient=transient,
                                                     endorsing_orgs=endorsing_orgs, timeout=timeout, retry=retry,
                                                     on_retry=on_retry))

    def evaluate(self, function: str, *args: Arg, transient: Mapping[str, bytes] | None = None,
                 timeout: float | None = None, retry: RetryPolicy | None = None) -> bytes:
        return self._runner.run(self.contract.evaluate(function, *args, transient=transient, timeout=timeout,
                                                       retry=retry))

    def events(self, name: str | None = None, start: int | None = None, *, stop: int = 0) -> Iterator[ChaincodeEvent]:
        return self._runner.iterate(self.contract.events(name, start, stop=stop))


class SyncNetwork:
    def __init__(self, runner: _LoopThread, network: Network) -> None:
        self._runner = runner
        self.network = network

    def contract(self, name: str) -> SyncContract:
        return SyncContract(self._runner, self.network.contract(name))

    def commit_status(self, tx_id: str, *, timeout: float | None = None) -> CommitStatus:
        return self._runner.run(self.network.commit_status(tx_id, timeout=timeout))

    def block_events(self, start: int | None = None, stop: int = 0) -> Iterator[BlockEvent]:
        return self._runner.iterate(self.network.block_events(start, stop))

    def chaincode_events(self, chaincode: str, name: str | None = None, start: int | None = None, *,
                         stop: int = 0) -> Iterator[ChaincodeEvent]:
        return self._runner.iterate(self.network.chaincode_events(chaincode, name, start, stop=stop))


class SyncGateway:
    def __init__(self, runner: _LoopThread, gateway: Gateway) -> None:
        self._runner = runner
        self.gateway = gateway

    @classmethod
    def _started(cls, connecting: Callable[[], Coroutine[Any, Any, Gateway]]) -> SyncGateway:
        runner = _LoopThread()
        try:
            gateway = runner.run(connecting())
        except BaseException:
            runner.stop()
            raise
        return cls(runner, gateway)

    @classmethod
    def connect(cls, address: str, identity: SigningIdentity, tls: TlsMaterial, **options) -> SyncGateway:
        """As Gateway.connect (same options), on a private event loop."""
        return cls._started(lambda: Gateway.connect(address, identity, tls, **options))

    @classmethod
    def connect_local(cls, data_dir: Path | str = DEFAULT_DATA_DIR, org: str | None = None,
                      user: str | None = None, **options) -> SyncGateway:
        """As Gateway.connect_local (same arguments), on a private event loop."""
        return cls._started(lambda: Gateway.connect_local(data_dir, org, user, **options))

    def network(self, channel_id: str | None = None) -> SyncNetwork:
        return SyncNetwork(self._runner, self.gateway.network(channel_id))

    def close(self) -> None:
        try:
            self._runner.run(self.gateway.close())
        finally:
            self._runner.stop()

    def __enter__(self) -> SyncGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
