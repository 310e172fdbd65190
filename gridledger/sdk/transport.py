"""The low-level asyncio client of one peer's gateway, deliver and admin services, for one identity and channel.

Each step of a transaction is a method of its own (evaluate, endorse, send, commit_status), over unary calls or
the batched Transact stream, so the SDK (gateway.py) can tell where a failure happened and whether a retry is safe.
Unary calls raise grpc.aio.AioRpcError, streamed ones GatewayStatusError; the SDK turns both into typed errors.
The CLI's lifecycle commands, the demo and the tests use this class directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import grpc

from gridledger.common import txbuilder
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.msp import SigningIdentity
from gridledger.common.seek import seek_envelope
from gridledger.sdk.errors import ChaincodeError, DeadlineExceeded, transaction_invalid
from gridledger.sdk.stream import GatewayStream
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2

_UNARY = {"evaluate": "Evaluate", "endorse": "Endorse", "submit": "Submit", "commit_status": "CommitStatus"}
_STAGES = {"evaluate": "evaluate", "endorse": "endorse", "submit": "submit", "commit_status": "commit"}


@dataclass(frozen=True)
class SubmitResult:
    """A committed transaction: its id, block, validation code (VALID), the chaincode's result, how many attempts
    `submit` needed and whether it rode the batched stream."""

    tx_id: str
    block: int
    code: int
    payload: bytes
    attempts: int = 1
    streamed: bool = False

    @property
    def result(self) -> bytes:
        return self.payload

    @property
    def code_name(self) -> str:
        return block_pb2.ValidationCode.Name(self.code)


def settle(future: asyncio.Future) -> None:
    """Cancel a helper future and consume whatever it ends with. A cancelled commit-status wait may still end with
    an error rather than cancelled (wait_for, cancelled while its stream call fails, raises that failure), which
    nobody awaits any more: unconsumed, it is logged as "Task exception was never retrieved"."""
    future.add_done_callback(_consume)
    future.cancel()


def _consume(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()


class GatewayClient:
    """Connects one identity to one peer for one channel. Use as `async with GatewayClient(...) as client:`.

    `grpc_channel` and `stream` may be shared with other clients (other identities or channels on the same
    connection); a client closes only what it created.
    """

    def __init__(self, address: str, identity: SigningIdentity, tls: TlsMaterial | None, channel_id: str, *,
                 grpc_channel: grpc.aio.Channel | None = None, stream: GatewayStream | None = None) -> None:
        self.address = address
        self.identity = identity
        self.channel_id = channel_id
        if grpc_channel is None:
            if tls is None:
                raise ValueError("a GatewayClient needs TLS material or an open grpc_channel")
            grpc_channel = aio_channel(address, tls)
            self._owns_channel = True
        else:
            self._owns_channel = False
        self._channel = grpc_channel
        self.gateway = peer_pb2_grpc.GatewayStub(grpc_channel)
        self.admin_stub = peer_pb2_grpc.AdminStub(grpc_channel)
        self.deliver_stub = peer_pb2_grpc.PeerDeliverStub(grpc_channel)
        self._owns_stream = stream is None
        self.stream = stream or GatewayStream(self.gateway)

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_stream:
            await self.stream.close()
        if self._owns_channel:
            await self._channel.close()

    # ---------- one step each ----------

    def proposal(self, chaincode: str, function: str, args: Sequence[bytes | str] = (),
                 transient: Mapping[str, bytes] | None = None) -> txbuilder.PreparedProposal:
        """A new proposal signed by this client's identity (fresh nonce and txid)."""
        return txbuilder.new_proposal(self.identity, self.channel_id, chaincode, function, args, transient)

    async def _call(self, kind: str, request, timeout: float, streamed: bool):
        if not streamed:
            return await getattr(self.gateway, _UNARY[kind])(request, timeout=timeout)
        try:
            reply = await asyncio.wait_for(self.stream.call(**{kind: request}), timeout)
        except TimeoutError:
            raise DeadlineExceeded(grpc.StatusCode.DEADLINE_EXCEEDED, f"no reply within {timeout:g}s",
                                   _STAGES[kind]) from None
        return getattr(reply, kind)

    async def evaluate_proposal(self, signed: transaction_pb2.SignedProposal, *, timeout: float = 30,
                                streamed: bool = False) -> transaction_pb2.Response:
        reply = await self._call("evaluate", peer_pb2.EvaluateRequest(proposal=signed), timeout, streamed)
        if reply.result.status >= 400:
            raise ChaincodeError(reply.result.status, reply.result.message)
        return reply.result

    async def endorse_proposal(self, signed: transaction_pb2.SignedProposal, *, endorsing_orgs: Sequence[str] = (),
                               timeout: float = 60, streamed: bool = False) -> peer_pb2.EndorseResponse:
        """Endorsements collected by the gateway; the response holds the transaction payload to sign."""
        request = peer_pb2.EndorseRequest(proposal=signed, endorsing_orgs=endorsing_orgs)
        endorsed = await self._call("endorse", request, timeout, streamed)
        if endorsed.result.status >= 400:
            raise ChaincodeError(endorsed.result.status, endorsed.result.message)
        return endorsed

    async def send(self, envelope: transaction_pb2.Envelope, *, timeout: float = 60, streamed: bool = False) -> None:
        """Hand a signed transaction to the ordering service through the gateway."""
        await self._call("submit", peer_pb2.SubmitRequest(envelope=envelope), timeout, streamed)

    async def commit_status(self, tx_id: str, *, timeout: float = 60,
                            streamed: bool = False) -> peer_pb2.CommitStatusResponse:
        """Wait until the transaction is committed on the gateway peer; its validation code and block."""
        request = peer_pb2.CommitStatusRequest(channel_id=self.channel_id, tx_id=tx_id)
        return await self._call("commit_status", request, timeout, streamed)

    # ---------- compositions ----------

    async def evaluate(self, chaincode: str, function: str, *args: bytes | str,
                       transient: Mapping[str, bytes] | None = None, timeout: float = 30,
                       streamed: bool = False) -> bytes:
        prepared = self.proposal(chaincode, function, args, transient)
        return (await self.evaluate_proposal(prepared.signed, timeout=timeout, streamed=streamed)).payload

    async def endorse(self, chaincode: str, function: str, *args: bytes | str,
                      transient: Mapping[str, bytes] | None = None, endorsing_orgs: Sequence[str] = (),
                      timeout: float = 60, streamed: bool = False,
                      ) -> tuple[txbuilder.PreparedProposal, peer_pb2.EndorseResponse]:
        prepared = self.proposal(chaincode, function, args, transient)
        endorsed = await self.endorse_proposal(prepared.signed, endorsing_orgs=endorsing_orgs, timeout=timeout,
                                               streamed=streamed)
        return prepared, endorsed

    async def submit_envelope(self, envelope: transaction_pb2.Envelope, tx_id: str, timeout: float = 60,
                              streamed: bool = False) -> peer_pb2.CommitStatusResponse:
        """Submit a signed transaction and wait for its commit status on the gateway peer (any code). The status
        request goes out first, so the commit cannot slip past it."""
        waiting = asyncio.ensure_future(self.commit_status(tx_id, timeout=timeout, streamed=streamed))
        try:
            await self.send(envelope, timeout=timeout, streamed=streamed)
            return await waiting
        finally:
            settle(waiting)

    async def submit(self, chaincode: str, function: str, *args: bytes | str,
                     transient: Mapping[str, bytes] | None = None, timeout: float = 60,
                     streamed: bool = False) -> SubmitResult:
        """Endorse, sign, submit and wait for the commit; raise a TransactionInvalid subclass unless VALID."""
        prepared, endorsed = await self.endorse(chaincode, function, *args, transient=transient, timeout=timeout,
                                                streamed=streamed)
        envelope = txbuilder.sign_payload(self.identity, endorsed.prepared_payload)
        outcome = await self.submit_envelope(envelope, prepared.tx_id, timeout, streamed)
        if outcome.code != block_pb2.VALID:
            raise transaction_invalid(prepared.tx_id, outcome.code, outcome.block_number)
        return SubmitResult(prepared.tx_id, outcome.block_number, outcome.code, endorsed.result.payload,
                            streamed=streamed)

    async def submit_streamed(self, chaincode: str, function: str, *args: bytes | str,
                              transient: Mapping[str, bytes] | None = None, timeout: float = 60) -> SubmitResult:
        """As submit(), over the batched Transact stream: the fast path when many submits are in flight."""
        return await self.submit(chaincode, function, *args, transient=transient, timeout=timeout, streamed=True)

    # ---------- admin and deliver ----------

    async def admin(self, request: peer_pb2.AdminRequest, timeout: float = 60) -> peer_pb2.AdminResponse:
        """Run an admin request on the peer (the identity must be an admin of the peer's org)."""
        header = transaction_pb2.Header(channel_id=self.channel_id, creator=self.identity.serialized())
        payload = transaction_pb2.Payload(header=header.SerializeToString(),
                                          data=request.SerializeToString()).SerializeToString()
        envelope = txbuilder.sign_payload(self.identity, payload)
        return await self.admin_stub.Execute(envelope, timeout=timeout)

    async def channel_info(self, timeout: float = 60) -> peer_pb2.ChannelInfo:
        response = await self.admin(peer_pb2.AdminRequest(channel_info=peer_pb2.ChannelInfoRequest(
            channel_id=self.channel_id)), timeout=timeout)
        return response.channel_info

    async def _deliver(self, method, start: int, stop: int, newest: bool, timeout: float | None):
        request = seek_envelope(self.identity, self.channel_id, start, stop=stop, newest=newest)
        async for response in method(request, timeout=timeout):
            kind = response.WhichOneof("kind")
            if kind != "status":
                yield getattr(response, kind)
            elif response.status != "SUCCESS":
                raise PermissionError(f"peer refused the block stream: {response.status}")
            else:
                return

    async def blocks(self, start: int = 0, stop: int = 0, *, newest: bool = False,
                     timeout: float | None = None) -> AsyncIterator[block_pb2.Block]:
        """Committed blocks from `start` (or from the next one to commit, with `newest`) up to `stop` exclusive;
        stop 0 follows the chain forever."""
        async for block in self._deliver(self.deliver_stub.Deliver, start, stop, newest, timeout):
            yield block

    async def filtered_blocks(self, start: int = 0, stop: int = 0, *, newest: bool = False,
                              timeout: float | None = None) -> AsyncIterator[peer_pb2.FilteredBlock]:
        """Per-transaction validation codes and chaincode events of committed blocks (PeerDeliver.DeliverFiltered)."""
        async for block in self._deliver(self.deliver_stub.DeliverFiltered, start, stop, newest, timeout):
            yield block
