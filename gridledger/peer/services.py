"""gRPC adapters for the peer's Endorser and Admin services (the gateway and deliver have their own modules)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Executor

import grpc
from google.protobuf.message import DecodeError

from gridledger.common import envelope as envelopes
from gridledger.common.channel import ChannelContext, ConfigError, config_from_block
from gridledger.common.envelope import EnvelopeError, Fault
from gridledger.peer.endorser import Endorser, ProposalError
from gridledger.v1 import block_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2

log = logging.getLogger(__name__)

# An admin request that does not open is INVALID_ARGUMENT; one from a non-admin is PERMISSION_DENIED.
ADMIN_STATUS = {Fault.MALFORMED: grpc.StatusCode.INVALID_ARGUMENT, Fault.BAD_CREATOR: grpc.StatusCode.PERMISSION_DENIED,
                Fault.BAD_SIGNATURE: grpc.StatusCode.UNAUTHENTICATED}


class EndorserService(peer_pb2_grpc.EndorserServicer):
    def __init__(self, endorser: Endorser, executor: Executor) -> None:
        self._endorser = endorser
        self._executor = executor

    async def ProcessProposal(self, request, context):
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._endorser.process, request)
        except ProposalError as exc:
            await context.abort(exc.code, str(exc))

    def _process_all(self, proposals) -> list[transaction_pb2.ProposalResponse]:
        """A whole batch in one executor call; a refused proposal becomes an error response in its slot."""
        responses = []
        for proposal in proposals:
            try:
                responses.append(self._endorser.process(proposal))
            except ProposalError as exc:
                status = 403 if exc.code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED) \
                    else 400
                responses.append(transaction_pb2.ProposalResponse(
                    response=transaction_pb2.Response(status=status, message=f"{exc.code.name}: {exc}")))
        return responses

    async def ProcessProposals(self, request_iterator, context) -> AsyncIterator[peer_pb2.ProposalResponseBatch]:
        loop = asyncio.get_running_loop()
        async for batch in request_iterator:
            responses = await loop.run_in_executor(self._executor, self._process_all, list(batch.proposals))
            yield peer_pb2.ProposalResponseBatch(responses=responses)


class AdminService(peer_pb2_grpc.AdminServicer):
    """Requests signed by an admin of this peer's own organisation, for this peer's channel."""

    def __init__(self, msp_id: str, context: ChannelContext, ledger, store) -> None:
        self._msp_id = msp_id
        self._context = context
        self._ledger = ledger
        self._store = store

    def _authenticate(self, envelope: transaction_pb2.Envelope) -> peer_pb2.AdminRequest:
        try:
            opened = envelopes.open_envelope(envelope)
            if opened.header.channel_id != self._context.channel_id:
                # A request signed for another channel's peers is not one for this peer's admins.
                raise ProposalError(grpc.StatusCode.NOT_FOUND, f"this peer has no channel "
                                    f"{opened.header.channel_id[:100]!r} (it serves {self._context.channel_id!r})")
            request = envelopes.decode(peer_pb2.AdminRequest, opened.payload.data, "admin request")
            member = envelopes.validate_creator(self._context, opened.header.creator, roles=("admin",))
            if member.msp_id != self._msp_id:
                raise ProposalError(grpc.StatusCode.PERMISSION_DENIED,
                                    f"only admins of {self._msp_id} administer this peer, not {member.msp_id}")
            envelopes.verify_signature(member, envelope.payload, envelope.signature,
                                       "admin request signature does not verify")
        except EnvelopeError as error:
            raise ProposalError(ADMIN_STATUS[error.fault], str(error)) from None
        return request

    def _execute(self, request: peer_pb2.AdminRequest) -> peer_pb2.AdminResponse:
        kind = request.WhichOneof("kind")
        if kind == "install_chaincode":
            try:
                package_id = self._store.install(request.install_chaincode.package)
            except ValueError as exc:
                raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, f"chaincode package rejected: {exc}") from None
            label = package_id.split(":", 1)[0]
            return peer_pb2.AdminResponse(installed=peer_pb2.InstalledChaincode(package_id=package_id, label=label))
        if kind == "query_installed":
            installed = [peer_pb2.InstalledChaincode(package_id=p.package_id, label=p.label)
                         for p in self._store.installed()]
            return peer_pb2.AdminResponse(query_installed=peer_pb2.QueryInstalledResponse(chaincodes=installed))
        if kind == "channel_info":
            return peer_pb2.AdminResponse(channel_info=self.channel_info())
        if kind == "join_channel":
            return peer_pb2.AdminResponse(join_channel=self._join(request.join_channel.genesis_block))
        raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, "empty admin request")

    def _join(self, genesis: bytes) -> peer_pb2.JoinChannelResponse:
        """The peer joins its channel at start-up; joining again with the same genesis block is a no-op."""
        try:
            block = block_pb2.Block.FromString(genesis)
            config = config_from_block(block)
        except (DecodeError, ValueError, ConfigError) as exc:
            raise ProposalError(grpc.StatusCode.INVALID_ARGUMENT, f"genesis block rejected: {exc}") from None
        if block.SerializeToString() != _without_codes(self._ledger.get_block(0)).SerializeToString():
            raise ProposalError(grpc.StatusCode.FAILED_PRECONDITION,
                                f"this peer already serves channel {self._context.channel_id} from another genesis")
        return peer_pb2.JoinChannelResponse(channel_id=config.channel_id)

    def channel_info(self) -> peer_pb2.ChannelInfo:
        return peer_pb2.ChannelInfo(channel_id=self._context.channel_id, height=self._ledger.height,
                                    current_block_hash=self._ledger.last_block_hash,
                                    state_hash=self._ledger.state_hash)

    async def Execute(self, request, context):
        try:
            admin_request = self._authenticate(request)
            return await asyncio.get_running_loop().run_in_executor(None, self._execute, admin_request)
        except ProposalError as exc:
            await context.abort(exc.code, str(exc))


def _without_codes(block: block_pb2.Block) -> block_pb2.Block:
    copy = block_pb2.Block()
    copy.CopyFrom(block)
    del copy.metadata.validation_codes[:]
    return copy
