"""The SDK: Gateway -> Network -> Contract, on top of the low-level GatewayClient (transport.py).

    async with await Gateway.connect("127.0.0.1:7051", identity, tls) as gateway:
        contract = gateway.network("energy").contract("kv")
        result = await contract.submit("put", "meter-17", "1250")   # endorse, sign, submit, wait for the commit
        value = await contract.evaluate("get", "meter-17")

`submit` retries what a fresh proposal can fix (MVCC and phantom conflicts, an unavailable endorser or orderer,
endorsers that disagreed) with exponential backoff and jitter, at most RetryPolicy.max_attempts times; the result
and the final error carry `attempts`. While many submits or evaluations are in flight on one connection, they ride
the gateway's batched Transact stream instead of one unary call per step (docs/design.md, "Gateway").
"""

from __future__ import annotations

import asyncio
import json
import random
import weakref
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import grpc

from gridledger.common import txbuilder
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.msp import SigningIdentity
from gridledger.sdk import errors
from gridledger.sdk.events import BlockEvent, ChaincodeEvent, CommitStatus, block_event
from gridledger.sdk.local import DEFAULT_DATA_DIR, local_member
from gridledger.sdk.stream import GatewayStream
from gridledger.sdk.transport import GatewayClient, SubmitResult, settle
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2

Arg = str | bytes | int | float | bool | Decimal | dict | list | None
RetryCallback = Callable[[int, errors.GridLedgerError, float], None]
_RPC_ERRORS = (grpc.aio.AioRpcError, errors.GatewayStatusError)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter: before attempt n+1 wait a random time up to
    min(max_backoff, initial_backoff * multiplier**(n-1)), never less than (1 - jitter) of that."""

    max_attempts: int = 5
    initial_backoff: float = 0.05
    max_backoff: float = 2.0
    multiplier: float = 2.0
    jitter: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 100:
            raise ValueError(f"max_attempts must be 1..100, got {self.max_attempts}")
        if self.initial_backoff < 0 or self.max_backoff < self.initial_backoff or self.multiplier < 1:
            raise ValueError("backoff needs 0 <= initial_backoff <= max_backoff and multiplier >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter is a fraction 0..1, got {self.jitter}")

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        return ceiling * (1 - self.jitter) + (rng or random).uniform(0, ceiling * self.jitter)


NO_RETRY = RetryPolicy(max_attempts=1)


def encode_arg(arg: Arg) -> bytes:
    """Arguments as the chaincode decodes them: bytes as is, str as UTF-8, everything else as JSON (numbers,
    booleans, objects, lists; Decimal as its exact decimal text)."""
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, str):
        return arg.encode("utf-8")
    if isinstance(arg, Decimal):
        return str(arg).encode()
    return json.dumps(arg, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def _typed(exc: BaseException, stage: str) -> errors.GridLedgerError:
    if isinstance(exc, errors.GatewayStatusError):
        if exc.stage == stage:
            return exc
        return errors.status_error(exc.code, exc.details, stage)
    if isinstance(exc, PermissionError):
        return errors.PermissionDenied(grpc.StatusCode.PERMISSION_DENIED, str(exc), stage)
    return errors.from_rpc_error(exc, stage)  # type: ignore[arg-type]


class _Connection:
    """One gRPC channel to one peer and the batched stream over it, shared by every identity and channel view."""

    def __init__(self, address: str, grpc_channel: grpc.aio.Channel) -> None:
        self.address = address
        self.channel = grpc_channel
        self.stream = GatewayStream(peer_pb2_grpc.GatewayStub(grpc_channel))
        self.in_flight = 0

    async def close(self) -> None:
        await self.stream.close()
        await self.channel.close()


class Gateway:
    """An identity connected to one peer's gateway over mutual TLS.

    `retry`: the default RetryPolicy of submit (and evaluate, which retries only an unavailable peer).
    `stream_threshold`: with at least this many submits/evaluations in flight on the connection, new ones ride
    the batched stream. `timeout`: seconds per step (endorse, submit, commit wait).
    """

    def __init__(self, address: str, identity: SigningIdentity, tls: TlsMaterial | None = None, *,
                 server_name: str | None = None, retry: RetryPolicy | None = None, stream_threshold: int = 4,
                 timeout: float = 60.0, channel: str | None = None,
                 _connection: _Connection | None = None) -> None:
        if _connection is None:
            if tls is None:
                raise ValueError("Gateway needs the TLS material to connect with (mutual TLS)")
            _connection = _Connection(address, aio_channel(address, tls, server_name))
            self._owner = True
        else:
            self._owner = False
        if stream_threshold < 1:
            raise ValueError("stream_threshold must be at least 1")
        self._connection = _connection
        self.identity = identity
        self.retry = retry or RetryPolicy()
        self.stream_threshold = stream_threshold
        self.timeout = timeout
        self.channel = channel  # what network() opens without a channel id (connect_local sets it)
        # Held weakly: a Network holds its gateway, and a cycle between them would keep the gRPC channel alive
        # after close() until the garbage collector runs, possibly after the event loop closed, when grpc's poller
        # still delivers to that loop ("RuntimeError: Event loop is closed").
        self._networks: weakref.WeakValueDictionary[str, Network] = weakref.WeakValueDictionary()

    @classmethod
    async def connect(cls, address: str, identity: SigningIdentity, tls: TlsMaterial, *,
                      wait_ready: float | None = 10.0, **options) -> Gateway:
        """Open the connection; with `wait_ready`, wait up to that many seconds for the TLS handshake to succeed
        and raise Unavailable if it does not."""
        gateway = cls(address, identity, tls, **options)
        if wait_ready:
            try:
                await asyncio.wait_for(gateway._connection.channel.channel_ready(), wait_ready)
            except TimeoutError:
                await gateway.close()
                raise errors.Unavailable(grpc.StatusCode.UNAVAILABLE,
                                         f"cannot connect to {address} within {wait_ready:g}s (is the peer up, and "
                                         "do both sides trust each other's TLS CA?)", "connect") from None
        return gateway

    @classmethod
    async def connect_local(cls, data_dir: Path | str = DEFAULT_DATA_DIR, org: str | None = None,
                            user: str | None = None, **options) -> Gateway:
        """Connect as `user` of `org` to the org's first peer of the network in `data_dir` (what `gridledger network
        up --data-dir` made; default ./.gridledger): the address, identity, TLS material and channel come from the
        folder. `org` defaults to the first peer organisation, `user` to its first client. `network()` then opens
        the network's channel. Options as for `connect`; LocalNetworkError says what is missing."""
        member = local_member(data_dir, org, user)
        options.setdefault("channel", member.channel)
        return await cls.connect(member.peer.address, member.material.identity, member.material.tls, **options)

    @property
    def address(self) -> str:
        return self._connection.address

    @property
    def in_flight(self) -> int:
        """Submits and evaluations running on this connection (every identity sharing it)."""
        return self._connection.in_flight

    def with_identity(self, identity: SigningIdentity) -> Gateway:
        """A gateway for another identity over the same connection and stream (closing it closes nothing)."""
        return Gateway(self.address, identity, retry=self.retry, stream_threshold=self.stream_threshold,
                       timeout=self.timeout, channel=self.channel, _connection=self._connection)

    def network(self, channel_id: str | None = None) -> Network:
        """A channel's view; without `channel_id`, the channel the gateway was connected for (connect_local)."""
        channel_id = channel_id or self.channel
        if channel_id is None:
            raise ValueError("name the channel: network(channel_id) (only connect_local knows it by itself)")
        network = self._networks.get(channel_id)
        if network is None:
            network = self._networks[channel_id] = Network(self, channel_id)
        return network

    async def close(self) -> None:
        if self._owner:
            await self._connection.close()

    async def __aenter__(self) -> Gateway:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class _Slot:
    """Counts one call in flight on a connection and decides whether it rides the batched stream."""

    def __init__(self, gateway: Gateway) -> None:
        self._connection = gateway._connection
        self._threshold = gateway.stream_threshold
        self.streamed = False

    def __enter__(self) -> _Slot:
        self._connection.in_flight += 1
        self.streamed = self._connection.in_flight >= self._threshold
        return self

    def __exit__(self, *exc: object) -> None:
        self._connection.in_flight -= 1


class Network:
    """One channel seen through a gateway."""

    def __init__(self, gateway: Gateway, channel_id: str) -> None:
        self.gateway = gateway
        self.channel_id = channel_id
        connection = gateway._connection
        self.client = GatewayClient(connection.address, gateway.identity, None, channel_id,
                                    grpc_channel=connection.channel, stream=connection.stream)

    def contract(self, name: str) -> Contract:
        return Contract(self, name)

    # ---------- transactions signed elsewhere (offline signing) ----------

    async def endorse_signed(self, signed: transaction_pb2.SignedProposal, *, endorsing_orgs: Sequence[str] = (),
                             timeout: float | None = None) -> peer_pb2.EndorseResponse:
        """Endorse a proposal someone else signed; the response holds the transaction payload they must sign."""
        with _Slot(self.gateway) as slot:
            try:
                return await self.client.endorse_proposal(signed, endorsing_orgs=endorsing_orgs,
                                                          timeout=timeout or self.gateway.timeout,
                                                          streamed=slot.streamed)
            except _RPC_ERRORS as exc:
                raise _typed(exc, "endorse") from None

    async def submit_signed(self, envelope: transaction_pb2.Envelope, tx_id: str, *,
                            timeout: float | None = None) -> CommitStatus:
        """Submit a transaction signed elsewhere and wait for its commit; raise a TransactionInvalid subclass
        unless it is VALID."""
        with _Slot(self.gateway) as slot:
            status = await self._submit_and_wait(envelope, tx_id, timeout or self.gateway.timeout, slot.streamed)
        if not status.valid:
            raise errors.transaction_invalid(tx_id, status.code, status.block)
        return status

    async def _submit_and_wait(self, envelope: transaction_pb2.Envelope, tx_id: str, timeout: float,
                               streamed: bool) -> CommitStatus:
        waiting = asyncio.ensure_future(self.client.commit_status(tx_id, timeout=timeout, streamed=streamed))
        try:
            try:
                await self.client.send(envelope, timeout=timeout, streamed=streamed)
            except _RPC_ERRORS as exc:
                raise _typed(exc, "submit") from None
            try:
                outcome = await waiting
            except _RPC_ERRORS as exc:
                raise errors.CommitStatusUnknown(tx_id, _typed(exc, "commit")) from None
        finally:
            settle(waiting)
        return CommitStatus(tx_id, outcome.code, outcome.block_number)

    # ---------- status and events ----------

    async def commit_status(self, tx_id: str, *, timeout: float | None = None) -> CommitStatus:
        """The transaction's validation code and block, waiting until it commits on the gateway peer (raises
        DeadlineExceeded if it has not within `timeout`)."""
        try:
            outcome = await self.client.commit_status(tx_id, timeout=timeout or self.gateway.timeout)
        except _RPC_ERRORS as exc:
            raise _typed(exc, "commit") from None
        return CommitStatus(tx_id, outcome.code, outcome.block_number)

    async def channel_info(self, *, timeout: float | None = None) -> peer_pb2.ChannelInfo:
        """Height and hashes of the peer's chain (the peer answers only admins of its organisation)."""
        try:
            return await self.client.channel_info(timeout=timeout or self.gateway.timeout)
        except _RPC_ERRORS as exc:
            raise _typed(exc, "admin") from None

    async def _follow(self, method, start: int | None, stop: int, resume: bool, number_of) -> AsyncIterator:
        """A deliver stream that, with `resume`, reconnects after an unavailable peer from the next block, with
        the gateway's retry policy (the attempt count restarts after every block received)."""
        policy = self.gateway.retry
        next_block, attempt = start, 0
        while True:
            try:
                async for item in method(next_block or 0, stop, newest=next_block is None):
                    attempt = 0
                    next_block = number_of(item) + 1
                    yield item
                return
            except (*_RPC_ERRORS, PermissionError) as exc:
                error = _typed(exc, "deliver")
                attempt += 1
                if not (resume and error.retryable and attempt < policy.max_attempts):
                    error.attempts = attempt
                    raise error from None
                await asyncio.sleep(policy.backoff(attempt))

    async def blocks(self, start: int | None = None, stop: int = 0, *,
                     resume: bool = True) -> AsyncIterator[block_pb2.Block]:
        """Full committed blocks from `start` (None: from the next block to commit) up to `stop` (0: forever)."""
        async for block in self._follow(self.client.blocks, start, stop, resume, lambda b: b.header.number):
            yield block

    async def block_events(self, start: int | None = None, stop: int = 0, *,
                           resume: bool = True) -> AsyncIterator[BlockEvent]:
        """Each committed block's transaction ids, validation codes and chaincode events (PeerDeliver's filtered
        stream: no read/write sets or payloads travel)."""
        async for block in self._follow(self.client.filtered_blocks, start, stop, resume, lambda b: b.number):
            yield block_event(block)

    async def chaincode_events(self, chaincode: str, name: str | None = None, start: int | None = None, *,
                               stop: int = 0, resume: bool = True) -> AsyncIterator[ChaincodeEvent]:
        """Events of one chaincode from VALID transactions, optionally only those called `name`."""
        async for block in self.block_events(start, stop, resume=resume):
            for transaction in block.transactions:
                for event in transaction.events:
                    if event.chaincode == chaincode and (name is None or event.name == name):
                        yield event


class Contract:
    """One chaincode on one channel."""

    def __init__(self, network: Network, name: str) -> None:
        self.network = network
        self.name = name

    @property
    def _gateway(self) -> Gateway:
        return self.network.gateway

    async def _retrying(self, policy: RetryPolicy, on_retry: RetryCallback | None, attempt_once):
        attempt = 0
        while True:
            attempt += 1
            try:
                return attempt, await attempt_once()
            except errors.GridLedgerError as exc:
                exc.attempts = attempt
                if not exc.retryable or attempt >= policy.max_attempts:
                    raise
                delay = policy.backoff(attempt)
                if on_retry is not None:
                    on_retry(attempt, exc, delay)
                await asyncio.sleep(delay)

    async def evaluate(self, function: str, *args: Arg, transient: Mapping[str, bytes] | None = None,
                       timeout: float | None = None, retry: RetryPolicy | None = None) -> bytes:
        """Run a query on the gateway peer; nothing is ordered. Retries only an unavailable peer."""
        client = self.network.client
        encoded = [encode_arg(a) for a in args]

        async def once() -> bytes:
            prepared = client.proposal(self.name, function, encoded, transient)
            with _Slot(self._gateway) as slot:
                try:
                    response = await client.evaluate_proposal(prepared.signed, timeout=timeout or
                                                              self._gateway.timeout, streamed=slot.streamed)
                except _RPC_ERRORS as exc:
                    raise _typed(exc, "evaluate") from None
            return response.payload

        _, payload = await self._retrying(retry or self._gateway.retry, None, once)
        return payload

    async def submit(self, function: str, *args: Arg, transient: Mapping[str, bytes] | None = None,
                     endorsing_orgs: Sequence[str] = (), timeout: float | None = None,
                     retry: RetryPolicy | None = None, on_retry: RetryCallback | None = None) -> SubmitResult:
        """Endorse, sign, submit and wait until the transaction commits VALID; return the chaincode's result, the
        txid, the block and the number of attempts. Raises a typed GridLedgerError (ChaincodeError,
        TransactionInvalid subclass, GatewayStatusError subclass, CommitStatusUnknown) with `attempts` set.
        `on_retry(attempt, error, delay)` is called before each retry."""
        encoded = [encode_arg(a) for a in args]
        attempts, result = await self._retrying(
            retry or self._gateway.retry, on_retry,
            lambda: self._submit_once(function, encoded, transient, endorsing_orgs, timeout or self._gateway.timeout))
        return replace(result, attempts=attempts)

    async def _submit_once(self, function: str, args: list[bytes], transient: Mapping[str, bytes] | None,
                           endorsing_orgs: Sequence[str], timeout: float) -> SubmitResult:
        client = self.network.client
        prepared = client.proposal(self.name, function, args, transient)
        with _Slot(self._gateway) as slot:
            try:
                endorsed = await client.endorse_proposal(prepared.signed, endorsing_orgs=endorsing_orgs,
                                                         timeout=timeout, streamed=slot.streamed)
            except _RPC_ERRORS as exc:
                raise _typed(exc, "endorse") from None
            envelope = txbuilder.sign_payload(client.identity, endorsed.prepared_payload)
            status = await self.network._submit_and_wait(envelope, prepared.tx_id, timeout, slot.streamed)
        if not status.valid:
            raise errors.transaction_invalid(prepared.tx_id, status.code, status.block)
        return SubmitResult(prepared.tx_id, status.block, status.code, endorsed.result.payload,
                            streamed=slot.streamed)

    def events(self, name: str | None = None, start: int | None = None, *, stop: int = 0,
               resume: bool = True) -> AsyncIterator[ChaincodeEvent]:
        """This chaincode's events (optionally only those called `name`) from committed VALID transactions."""
        return self.network.chaincode_events(self.name, name, start, stop=stop, resume=resume)
