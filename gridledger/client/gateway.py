"""A small asyncio client for a peer's gateway and admin services: enough for the CLI, the demo and tests.
(The full SDK with retries, wallets and streamed batching grows from this in the SDK issue.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gridledger.client.gatewaystream import GatewayStream
from gridledger.common import txbuilder
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.msp import SigningIdentity
from gridledger.common.seek import seek_envelope
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2


class ChaincodeError(Exception):
    """The chaincode (or an endorser) refused the proposal."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"chaincode returned {status}: {message}")
        self.status = status
        self.message = message


class TransactionInvalid(Exception):
    """The transaction was ordered but validation marked it invalid; `code` is the ValidationCode."""

    def __init__(self, tx_id: str, code: int, block: int) -> None:
        super().__init__(f"transaction {tx_id} is {block_pb2.ValidationCode.Name(code)} in block {block}")
        self.tx_id, self.code, self.block = tx_id, code, block


@dataclass(frozen=True)
class SubmitResult:
    tx_id: str
    block: int
    code: int
    payload: bytes


class GatewayClient:
    """Connects one identity to one peer. Use as `async with GatewayClient(...) as client:`."""

    def __init__(self, address: str, identity: SigningIdentity, tls: TlsMaterial, channel_id: str) -> None:
        self.address = address
        self.identity = identity
        self.channel_id = channel_id
        self._channel = aio_channel(address, tls)
        self.gateway = peer_pb2_grpc.GatewayStub(self._channel)
        self.admin_stub = peer_pb2_grpc.AdminStub(self._channel)
        self.deliver_stub = peer_pb2_grpc.PeerDeliverStub(self._channel)
        self.stream = GatewayStream(self.gateway)

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stream.close()
        await self._channel.close()

    def _proposal(self, chaincode: str, function: str, args: Sequence[bytes | str],
                  transient: Mapping[str, bytes] | None) -> txbuilder.PreparedProposal:
        return txbuilder.new_proposal(self.identity, self.channel_id, chaincode, function, args, transient)

    async def evaluate(self, chaincode: str, function: str, *args: bytes | str,
                       transient: Mapping[str, bytes] | None = None, timeout: float = 30) -> bytes:
        prepared = self._proposal(chaincode, function, args, transient)
        reply = await self.gateway.Evaluate(peer_pb2.EvaluateRequest(proposal=prepared.signed), timeout=timeout)
        if reply.result.status >= 400:
            raise ChaincodeError(reply.result.status, reply.result.message)
        return reply.result.payload

    async def endorse(self, chaincode: str, function: str, *args: bytes | str,
                      transient: Mapping[str, bytes] | None = None, endorsing_orgs: Sequence[str] = (),
                      timeout: float = 60) -> tuple[txbuilder.PreparedProposal, peer_pb2.EndorseResponse]:
        """Collect endorsements through the gateway; the response holds the transaction payload to sign."""
        prepared = self._proposal(chaincode, function, args, transient)
        endorsed = await self.gateway.Endorse(peer_pb2.EndorseRequest(proposal=prepared.signed,
                                                                      endorsing_orgs=endorsing_orgs),
                                              timeout=timeout)
        if endorsed.result.status >= 400:
            raise ChaincodeError(endorsed.result.status, endorsed.result.message)
        return prepared, endorsed

    async def submit_envelope(self, envelope: transaction_pb2.Envelope, tx_id: str,
                              timeout: float = 60) -> peer_pb2.CommitStatusResponse:
        """Submit a signed transaction and wait for its commit status on the gateway peer (any code)."""
        status = self.gateway.CommitStatus(peer_pb2.CommitStatusRequest(channel_id=self.channel_id, tx_id=tx_id),
                                           timeout=timeout)
        waiting = asyncio.ensure_future(status)
        try:
            await self.gateway.Submit(peer_pb2.SubmitRequest(envelope=envelope), timeout=timeout)
            return await waiting
        finally:
            waiting.cancel()

    async def submit(self, chaincode: str, function: str, *args: bytes | str,
                     transient: Mapping[str, bytes] | None = None, timeout: float = 60) -> SubmitResult:
        """Endorse, sign, submit and wait for the commit; raise TransactionInvalid unless it is VALID."""
        prepared, endorsed = await self.endorse(chaincode, function, *args, transient=transient, timeout=timeout)
        envelope = txbuilder.sign_payload(self.identity, endorsed.prepared_payload)
        outcome = await self.submit_envelope(envelope, prepared.tx_id, timeout)
        if outcome.code != block_pb2.VALID:
            raise TransactionInvalid(prepared.tx_id, outcome.code, outcome.block_number)
        return SubmitResult(prepared.tx_id, outcome.block_number, outcome.code, endorsed.result.payload)

    async def submit_streamed(self, chaincode: str, function: str, *args: bytes | str,
                              transient: Mapping[str, bytes] | None = None) -> SubmitResult:
        """As submit(), over the batched Transact stream: the fast path when many submits are in flight."""
        prepared = self._proposal(chaincode, function, args, transient)
        reply = await self.stream.call(endorse=peer_pb2.EndorseRequest(proposal=prepared.signed))
        endorsed = reply.endorse
        if endorsed.result.status >= 400:
            raise ChaincodeError(endorsed.result.status, endorsed.result.message)
        envelope = txbuilder.sign_payload(self.identity, endorsed.prepared_payload)
        status = asyncio.ensure_future(self.stream.call(commit_status=peer_pb2.CommitStatusRequest(
            channel_id=self.channel_id, tx_id=prepared.tx_id)))
        try:
            await self.stream.call(submit=peer_pb2.SubmitRequest(envelope=envelope))
            outcome = (await status).commit_status
        finally:
            status.cancel()
        if outcome.code != block_pb2.VALID:
            raise TransactionInvalid(prepared.tx_id, outcome.code, outcome.block_number)
        return SubmitResult(prepared.tx_id, outcome.block_number, outcome.code, endorsed.result.payload)

    async def admin(self, request: peer_pb2.AdminRequest, timeout: float = 60) -> peer_pb2.AdminResponse:
        """Run an admin request on the peer (the identity must be an admin of the peer's org)."""
        header = transaction_pb2.Header(channel_id=self.channel_id, creator=self.identity.serialized())
        payload = transaction_pb2.Payload(header=header.SerializeToString(),
                                          data=request.SerializeToString()).SerializeToString()
        envelope = txbuilder.sign_payload(self.identity, payload)
        return await self.admin_stub.Execute(envelope, timeout=timeout)

    async def channel_info(self) -> peer_pb2.ChannelInfo:
        response = await self.admin(peer_pb2.AdminRequest(channel_info=peer_pb2.ChannelInfoRequest(
            channel_id=self.channel_id)))
        return response.channel_info

    async def blocks(self, start: int = 0, stop: int = 0):
        """Committed blocks from `start` (up to `stop` exclusive; 0 = follow forever)."""
        request = seek_envelope(self.identity, self.channel_id, start, stop=stop)
        async for response in self.deliver_stub.Deliver(request):
            if response.WhichOneof("kind") == "block":
                yield response.block
            elif response.status != "SUCCESS":
                raise PermissionError(f"peer refused the block stream: {response.status}")
            else:
                return
