"""The gateway service (as in Fabric 2.4+): a client talks to one peer, which collects endorsements from peers
that satisfy the chaincode's policy, hands back the transaction to sign, submits it to the ordering service and
reports its commit status. Remote endorsements and broadcasts ride batching streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor

import grpc
from google.protobuf.message import DecodeError

from gridledger.common import txbuilder
from gridledger.common.batching import BatchingStream, StreamUnavailable
from gridledger.common.grpcservice import MalformedRequest
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.nodeconfig import Endpoint
from gridledger.common.policy import PolicyError, parse_policy
from gridledger.peer.broadcast import Broadcaster
from gridledger.peer.committer import CommitNotifier
from gridledger.peer.definitions import Definition
from gridledger.peer.endorser import Endorsed, Endorser, ProposalError, open_signed_proposal
from gridledger.peer.metrics import PeerMetrics
from gridledger.v1 import orderer_pb2, peer_pb2, peer_pb2_grpc, transaction_pb2

log = logging.getLogger(__name__)
# Endorsers that disagree are asked again a few times: right after a commit one of them may be a block behind.
MISMATCH_ATTEMPTS = 4
MISMATCH_PAUSE_S = 0.1


class GatewayError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# What an endorser answers about the proposal itself, the same on every peer of the channel (bad bytes, signature or
# creator, the channel's Writers policy, a tx id already committed): answered as it is, since no other endorser set
# would accept it, and not as UNAVAILABLE, which clients retry.
PROPOSAL_REFUSALS = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNAUTHENTICATED,
                     grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ALREADY_EXISTS}


class RemoteEndorser:
    """Another peer's Endorser service, reached over one batching stream."""

    def __init__(self, endpoint: Endpoint, tls: TlsMaterial) -> None:
        self.endpoint = endpoint
        self._channel = aio_channel(endpoint.address, tls)
        stub = peer_pb2_grpc.EndorserStub(self._channel)
        self._stream = BatchingStream(stub.ProcessProposals,
                                      lambda items: peer_pb2.ProposalBatch(proposals=items),
                                      lambda reply: reply.responses)

    async def endorse(self, proposal: transaction_pb2.SignedProposal) -> transaction_pb2.ProposalResponse:
        return await self._stream.call(proposal)

    async def close(self) -> None:
        await self._stream.close()
        await self._channel.close()


@functools.lru_cache(maxsize=256)
def satisfying_org_sets(expression: str, peer_orgs: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """The org sets satisfying a chaincode's endorsement policy, parsed once per policy text and channel orgs:
    parsing it for every endorsement was ~4% of a loaded peer's CPU (docs/performance.md)."""
    return tuple(parse_policy(expression, peer_orgs, default_role="peer").satisfying_org_sets())


class GatewayCore:
    """The gateway's logic, independent of how requests arrive (unary calls or the batched stream)."""

    def __init__(self, msp_id: str, endorser: Endorser, remotes: dict[str, list[RemoteEndorser]],
                 orderers: Broadcaster, notifier: CommitNotifier, ledger, metrics: PeerMetrics | None = None,
                 executor: Executor | None = None) -> None:
        self._msp_id = msp_id
        self._executor = executor  # the endorser service's threads (None: the loop's default executor)
        self._metrics = metrics or PeerMetrics()
        self._endorser = endorser
        self._remotes = remotes
        self._orderers = orderers
        self._notifier = notifier
        self._ledger = ledger

    async def _local(self, proposal: transaction_pb2.SignedProposal) -> Endorsed:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, self._endorser.endorse, proposal)
        except ProposalError as exc:
            raise GatewayError(exc.code, str(exc)) from None

    async def evaluate(self, request: peer_pb2.EvaluateRequest) -> peer_pb2.EvaluateResponse:
        local = await self._local(request.proposal)
        return peer_pb2.EvaluateResponse(result=local.response.response)

    def _org_sets(self, definition: Definition | None) -> list[frozenset[str]]:
        """Org sets that satisfy the endorsement policy of `definition` (the one our own simulation ran under; None
        for `_lifecycle`), ours first, only those we can reach."""
        context = self._endorser.context
        if definition is None:
            org_sets = tuple(context.policies["LifecycleEndorsement"].satisfying_org_sets())
        else:
            try:
                org_sets = satisfying_org_sets(definition.endorsement_policy, context.peer_orgs)
            except PolicyError as exc:
                raise GatewayError(grpc.StatusCode.FAILED_PRECONDITION, f"endorsement policy: {exc}") from None
        own_first = sorted(org_sets, key=lambda s: (self._msp_id not in s, len(s)))
        return [s for s in own_first if all(o == self._msp_id or self._remotes.get(o) for o in s)]

    async def _endorse_in(self, org: str, proposal, local: Endorsed | None) -> transaction_pb2.ProposalResponse:
        """One endorsement from `org`; our own org's is `local` when we already have it."""
        if org == self._msp_id:
            return local.response if local is not None else (await self._local(proposal)).response
        errors = []
        for remote in self._remotes.get(org, []):
            try:
                return await remote.endorse(proposal)
            except StreamUnavailable as exc:
                errors.append(f"{remote.endpoint.name}: {exc}")
        raise GatewayError(grpc.StatusCode.UNAVAILABLE, f"no endorser of {org} answered: {'; '.join(errors)}")

    async def endorse(self, request: peer_pb2.EndorseRequest) -> peer_pb2.EndorseResponse:
        """Endorse on our own peer first: its simulation reads the chaincode definition once, and that definition's
        policy picks the other orgs, so the endorsers are chosen by the definition the endorsements name."""
        try:
            opened = open_signed_proposal(request.proposal)
        except ProposalError as exc:
            raise GatewayError(exc.code, str(exc)) from None
        local: Endorsed | None = None
        if request.endorsing_orgs:
            unknown = sorted(set(request.endorsing_orgs) - set(self._endorser.context.peer_orgs))
            if unknown:
                raise GatewayError(grpc.StatusCode.INVALID_ARGUMENT, f"endorsing_orgs names {unknown[0][:100]!r}, "
                                   f"not a peer organisation of channel {self._endorser.context.channel_id!r}")
            candidates = [frozenset(request.endorsing_orgs)]
        else:
            local = await self._local(request.proposal)
            candidates = self._org_sets(local.definition)
        if not candidates:
            raise GatewayError(grpc.StatusCode.UNAVAILABLE, "no set of reachable peers can satisfy the endorsement "
                               f"policy of {opened.invocation.chaincode!r}")
        failure = ""
        for orgs in candidates:
            for attempt in range(MISMATCH_ATTEMPTS):
                reuse = local if attempt == 0 else None  # a retry asks our own peer again: it may have caught up
                results = await asyncio.gather(*(self._endorse_in(o, request.proposal, reuse) for o in sorted(orgs)),
                                               return_exceptions=True)
                errors = [r for r in results if isinstance(r, BaseException)]
                refusal = next((e for e in errors if isinstance(e, GatewayError) and e.code in PROPOSAL_REFUSALS),
                               None)
                if refusal is not None:
                    raise refusal
                if errors:
                    failure = "; ".join(str(e) for e in errors)
                    break
                rejected = [r for r in results if r.response.status >= 400]
                if rejected and (len(rejected) == len(results) or attempt + 1 == MISMATCH_ATTEMPTS):
                    return peer_pb2.EndorseResponse(result=rejected[0].response)
                if rejected:
                    # Split verdict: usually the refusing endorser has not committed the block the others
                    # simulated on (a registration, a phase change), so ask again once it has caught up.
                    await asyncio.sleep(MISMATCH_PAUSE_S)
                    continue
                try:
                    prepared = txbuilder.transaction_payload(opened.header_bytes, opened.proposal.invocation,
                                                             results)
                except txbuilder.EndorsementMismatch as exc:
                    # Usually one endorser has not committed the newest block yet: it catches up within a block.
                    if attempt + 1 == MISMATCH_ATTEMPTS:
                        raise GatewayError(grpc.StatusCode.ABORTED, str(exc)) from None
                    await asyncio.sleep(MISMATCH_PAUSE_S)
                    continue
                return peer_pb2.EndorseResponse(prepared_payload=prepared, result=results[0].response)
        raise GatewayError(grpc.StatusCode.UNAVAILABLE, f"endorsement failed: {failure}")

    async def submit(self, request: peer_pb2.SubmitRequest) -> peer_pb2.SubmitResponse:
        started = time.perf_counter()
        result = await self._orderers.broadcast(request.envelope)
        self._metrics.order.observe(time.perf_counter() - started)
        if result.status == orderer_pb2.SUCCESS:
            return peer_pb2.SubmitResponse()
        code = {orderer_pb2.BAD_REQUEST: grpc.StatusCode.INVALID_ARGUMENT,
                orderer_pb2.FORBIDDEN: grpc.StatusCode.PERMISSION_DENIED,
                orderer_pb2.REQUEST_ENTITY_TOO_LARGE: grpc.StatusCode.INVALID_ARGUMENT}.get(
                    result.status, grpc.StatusCode.UNAVAILABLE)
        raise GatewayError(code, f"orderer: {orderer_pb2.BroadcastStatus.Name(result.status)}: {result.info}")

    async def commit_status(self, request: peer_pb2.CommitStatusRequest) -> peer_pb2.CommitStatusResponse:
        future = self._notifier.wait_for(request.tx_id)
        try:
            location = self._ledger.get_tx_location(request.tx_id)
            if location is not None:
                return peer_pb2.CommitStatusResponse(code=location[2], block_number=location[0])
            outcome = await future
            return peer_pb2.CommitStatusResponse(code=outcome.code, block_number=outcome.block_number)
        finally:
            self._notifier.forget(request.tx_id, future)



def creator_of(request: peer_pb2.EvaluateRequest | peer_pb2.EndorseRequest | peer_pb2.SubmitRequest) -> bytes:
    """The certificate a request says it comes from; not verified yet (the endorser and the orderer do that), which
    is why InFlightLimit pairs it with the caller's TLS identity. Empty when the bytes do not decode."""
    try:
        if isinstance(request, peer_pb2.SubmitRequest):
            header = transaction_pb2.Payload.FromString(request.envelope.payload).header
        else:
            header = transaction_pb2.Proposal.FromString(request.proposal.proposal_bytes).header
        return transaction_pb2.Header.FromString(header).creator.certificate
    except (DecodeError, ValueError):
        return b""


def tls_identity(context: grpc.aio.ServicerContext) -> bytes:
    """The caller's TLS certificate (PEM), which gRPC verified in the handshake."""
    return (context.auth_context().get("x509_pem_cert") or [b""])[0]


class InFlightLimit:
    """Evaluate, Endorse and Submit calls in flight per caller: the pair of TLS identity (verified by the handshake,
    so nobody spends another connection's budget) and creator certificate (so the users behind one connection, the
    REST service's or an agent fleet's, each have their own). A caller at the limit is answered RESOURCE_EXHAUSTED
    at once, before any work, and other callers are not slowed by its backlog. CommitStatus waits are not counted:
    each is a future in the commit notifier, and the server's max_concurrent_rpcs bounds them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[tuple[bytes, bytes], int] = {}

    @contextlib.contextmanager
    def slot(self, caller: tuple[bytes, bytes]) -> Iterator[None]:
        count = self._counts.get(caller, 0)
        if count >= self.limit:
            raise GatewayError(grpc.StatusCode.RESOURCE_EXHAUSTED,
                               f"this client identity already has {self.limit} requests in flight at this gateway "
                               "(limits.gateway_max_in_flight); wait for answers before sending more")
        self._counts[caller] = count + 1
        try:
            yield
        finally:
            remaining = self._counts[caller] - 1
            if remaining:
                self._counts[caller] = remaining
            else:
                del self._counts[caller]


class GatewayService(peer_pb2_grpc.GatewayServicer):
    """gRPC adapter: unary calls and the batched Transact stream over GatewayCore, each call within its caller's
    InFlightLimit."""

    def __init__(self, core: GatewayCore, max_in_flight: int) -> None:
        self._core = core
        self._limit = InFlightLimit(max_in_flight)

    async def _limited(self, handler, request, tls: bytes):
        with self._limit.slot((tls, creator_of(request))):
            return await handler(request)

    async def _unary(self, handler, request, context: grpc.aio.ServicerContext):
        try:
            return await self._limited(handler, request, tls_identity(context))
        except GatewayError as exc:
            await context.abort(exc.code, str(exc))

    async def Evaluate(self, request, context):
        return await self._unary(self._core.evaluate, request, context)

    async def Endorse(self, request, context):
        return await self._unary(self._core.endorse, request, context)

    async def Submit(self, request, context):
        return await self._unary(self._core.submit, request, context)

    async def CommitStatus(self, request, context):
        try:
            return await self._core.commit_status(request)
        except GatewayError as exc:
            await context.abort(exc.code, str(exc))

    async def _answer(self, request: peer_pb2.GatewayRequest, tls: bytes) -> peer_pb2.GatewayReply:
        kind = request.WhichOneof("kind")
        reply = peer_pb2.GatewayReply(request_id=request.request_id)
        if kind is None:
            reply.error.grpc_code = grpc.StatusCode.INVALID_ARGUMENT.value[0]
            reply.error.message = "empty gateway request"
            return reply
        inner = getattr(request, kind)
        try:
            if kind == "commit_status":
                result = await self._core.commit_status(inner)
            else:
                handlers = {"evaluate": self._core.evaluate, "endorse": self._core.endorse,
                            "submit": self._core.submit}
                result = await self._limited(handlers[kind], inner, tls)
        except GatewayError as exc:
            reply.error.grpc_code = exc.code.value[0]
            reply.error.message = str(exc)
            return reply
        getattr(reply, kind).CopyFrom(result)
        return reply

    async def Transact(self, request_iterator: AsyncIterator[peer_pb2.GatewayRequestBatch],
                       context) -> AsyncIterator[peer_pb2.GatewayReplyBatch]:
        """Answers arrive in completion order; each outgoing message carries every reply ready at that moment."""
        ready: asyncio.Queue[peer_pb2.GatewayReply | None] = asyncio.Queue()
        pending: set[asyncio.Task] = set()
        failures: list[Exception] = []
        tls = tls_identity(context)

        async def run(request: peer_pb2.GatewayRequest) -> None:
            await ready.put(await self._answer(request, tls))

        async def read_requests() -> None:
            try:
                async for batch in request_iterator:
                    for request in batch.requests:
                        task = asyncio.create_task(run(request))
                        pending.add(task)
                        task.add_done_callback(pending.discard)
            except MalformedRequest as exc:
                failures.append(exc)
            await asyncio.gather(*pending, return_exceptions=True)
            await ready.put(None)

        reader = asyncio.create_task(read_requests())
        try:
            while True:
                replies = [await ready.get()]
                while not ready.empty():
                    replies.append(ready.get_nowait())
                done = replies[-1] is None
                batch = [r for r in replies if r is not None]
                if batch:
                    yield peer_pb2.GatewayReplyBatch(replies=batch)
                if done:
                    if failures:
                        raise failures[0]
                    return
        finally:
            reader.cancel()
            for task in list(pending):
                task.cancel()

