"""One probe per entry point: send a forged input with raw gRPC stubs (or HTTP for REST) and return what came back,
as the attack matrix writes it: a gRPC status name, a broadcast or deliver status, or `HTTP <code>`.

Probes never raise on a refusal; "OK" (or SUCCESS, or BLOCK for a deliver that served a block) is what an attack
that got through looks like.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable
from dataclasses import dataclass

import grpc
import httpx

from gridledger.common.grpcutil import TlsMaterial
from gridledger.v1 import block_pb2, orderer_pb2, orderer_pb2_grpc, peer_pb2, peer_pb2_grpc, transaction_pb2
from tests.attacks.forge import (
    OTHER_CHANNEL,
    Attack,
    Forgery,
    Transport,
    admin_request,
    envelope,
    open_channel,
    proposal,
    seek,
)
from tests.attacks.hostile import CHANNEL, ORDERER_ORG, ORG, HostileNetwork

TIMEOUT_S = 10


async def status_of(call: Awaitable) -> str:
    """OK, or the name of the gRPC status the call failed with."""
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    return "OK"


async def broadcast(channel: grpc.aio.Channel, envelope_: transaction_pb2.Envelope) -> str:
    """The broadcast status of one envelope, or the gRPC status that ended the stream."""
    stream = orderer_pb2_grpc.AtomicBroadcastStub(channel).Broadcast(timeout=TIMEOUT_S)
    try:
        await stream.write(orderer_pb2.EnvelopeBatch(envelopes=[envelope_]))
        response = await stream.read()
        await stream.done_writing()
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    if response is grpc.aio.EOF:
        return "EOF"
    return orderer_pb2.BroadcastStatus.Name(response.results[0].status)


async def first_deliver_answer(call) -> str:
    """BLOCK when a deliver stream serves a block first, else its status (or the gRPC status)."""
    try:
        async for response in call:
            kind = response.WhichOneof("kind")
            return response.status if kind == "status" else "BLOCK"
    except grpc.aio.AioRpcError as exc:
        return exc.code().name
    return "EOF"


async def at_gateway(net: HostileNetwork, forged: Forgery) -> str:
    async with open_channel(net.peer_address, forged.transport, net.attackers) as channel:
        stub = peer_pb2_grpc.GatewayStub(channel)
        endorsed = await status_of(stub.Endorse(peer_pb2.EndorseRequest(proposal=proposal(forged)),
                                                timeout=TIMEOUT_S))
        submitted = await status_of(stub.Submit(peer_pb2.SubmitRequest(envelope=envelope(forged)),
                                                timeout=TIMEOUT_S))
    return f"Endorse {endorsed}, Submit {submitted}"


async def at_endorser(net: HostileNetwork, forged: Forgery) -> str:
    async with open_channel(net.peer_address, forged.transport, net.attackers) as channel:
        return await status_of(peer_pb2_grpc.EndorserStub(channel).ProcessProposal(proposal(forged),
                                                                                    timeout=TIMEOUT_S))


async def at_broadcast(net: HostileNetwork, forged: Forgery) -> str:
    async with open_channel(net.orderer_address, forged.transport, net.attackers) as channel:
        return await broadcast(channel, envelope(forged))


async def at_orderer_deliver(net: HostileNetwork, forged: Forgery) -> str:
    async with open_channel(net.orderer_address, forged.transport, net.attackers) as channel:
        stub = orderer_pb2_grpc.AtomicBroadcastStub(channel)
        return await first_deliver_answer(stub.Deliver(seek(forged), timeout=TIMEOUT_S))


async def at_peer_deliver(net: HostileNetwork, forged: Forgery) -> str:
    """Both of the peer's streams must give the same answer."""
    async with open_channel(net.peer_address, forged.transport, net.attackers) as channel:
        stub = peer_pb2_grpc.PeerDeliverStub(channel)
        blocks = await first_deliver_answer(stub.Deliver(seek(forged), timeout=TIMEOUT_S))
        filtered = await first_deliver_answer(stub.DeliverFiltered(seek(forged), timeout=TIMEOUT_S))
    return blocks if blocks == filtered else f"Deliver {blocks}, DeliverFiltered {filtered}"


async def at_admin(net: HostileNetwork, forged: Forgery) -> str:
    async with open_channel(net.peer_address, forged.transport, net.attackers) as channel:
        return await status_of(peer_pb2_grpc.AdminStub(channel).Execute(admin_request(forged), timeout=TIMEOUT_S))


@dataclass(frozen=True)
class ClusterAttempt:
    """A Cluster.Step stream to orderer0: the TLS identity it comes with and what its one message claims. Its
    payload is no consensus message at all, so a stream that got past every check ends INVALID_ARGUMENT."""

    transport: Transport
    tls: TlsMaterial | None = None
    channel: str = CHANNEL
    sender: str = "orderer1"


def cluster_attempt(net: HostileNetwork, attack: Attack) -> ClusterAttempt:
    attackers = net.attackers
    attempts = {
        Attack.WRONG_ROLE: ClusterAttempt(Transport.MTLS, attackers.orderer_admin.tls),  # the orderer org, no node
        Attack.WRONG_ORG: ClusterAttempt(Transport.MTLS, attackers.peer.tls),             # a node of a peer org
        Attack.TAMPERED: ClusterAttempt(Transport.MTLS, attackers.consenter.tls, sender="orderer2"),
        Attack.OTHER_CHANNEL: ClusterAttempt(Transport.MTLS, attackers.consenter.tls, channel=OTHER_CHANNEL),
        Attack.NO_TLS: ClusterAttempt(Transport.PLAINTEXT),
        Attack.FOREIGN_TLS: ClusterAttempt(Transport.FOREIGN_TLS),
    }
    return attempts[attack]


async def at_cluster(net: HostileNetwork, attempt: ClusterAttempt) -> str:
    message = orderer_pb2.ClusterMessage(channel_id=attempt.channel, sender_id=attempt.sender, kind="attack",
                                         payload=b"\x01")
    async with open_channel(net.orderer_address, attempt.transport, net.attackers, attempt.tls) as channel:
        return await status_of(orderer_pb2_grpc.ClusterStub(channel).Step(iter([message]), timeout=TIMEOUT_S))


async def wait_for_copy(net: HostileNetwork, tx_id: str, since: int) -> str:
    """The validation code of the first copy of `tx_id` committed at or after block `since`."""
    async with net.clients.connect(net.clients.first_peer(), "user1") as client:
        async def find() -> str:
            async for block in client.blocks(since):
                for raw, code in zip(block.data.envelopes, block.metadata.validation_codes, strict=True):
                    payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(raw).payload)
                    if transaction_pb2.Header.FromString(payload.header).tx_id == tx_id:
                        return f"committed {block_pb2.ValidationCode.Name(code)}"
            return "never committed"

        return await asyncio.wait_for(find(), TIMEOUT_S)



@dataclass(frozen=True)
class Committed:
    """A transaction committed once, kept to be replayed: user1's signed proposal and envelope over gRPC, and the
    REST user carol's offline transaction with the signature she submitted it with."""

    tx_id: str
    block: int
    proposal: transaction_pb2.SignedProposal
    envelope: transaction_pb2.Envelope
    rest_tx_id: str
    rest_signature: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _pem(net: HostileNetwork, msp_id: str, name: str) -> str:
    return (net.local.crypto_dir / msp_id / "members" / name / "cert.pem").read_text()


def rejected_certificate(net: HostileNetwork, attack: Attack) -> str:
    """The certificate an org admin is asked to register for the REST user dave, who has none yet."""
    attackers = net.attackers
    forged = {Attack.FOREIGN_CA: attackers.foreign_ca, Attack.EXPIRED: attackers.expired,
              Attack.REVOKED: attackers.revoked}
    if attack in forged:
        return forged[attack].pairs["client"].cert_pem.decode()
    if attack is Attack.WRONG_ROLE:
        return _pem(net, ORG, "peer0-org1")
    if attack is Attack.WRONG_ORG:
        return _pem(net, ORDERER_ORG, "admin")
    raise ValueError(f"{attack.value} involves no certificate registration")


async def at_rest(net: HostileNetwork, attack: Attack, committed: Committed) -> str:
    async with httpx.AsyncClient(base_url=net.rest_url, timeout=TIMEOUT_S) as http:
        if attack is Attack.TAMPERED:
            return await _tampered_offline_signature(http, net)
        if attack is Attack.REPLAYED:
            answer = await http.post(f"/v1/transactions/{committed.rest_tx_id}/submit",
                                     json={"signature": committed.rest_signature},
                                     headers=bearer(net.rest_user_token))
            return f"HTTP {answer.status_code}"
        answer = await http.post("/v1/users/dave/certificate", json={"certificate": rejected_certificate(net, attack)},
                                 headers=bearer(net.rest_admin_token))
        dave = (await http.get("/v1/users/me", headers=bearer(net.rest_pending_token))).json()
        assert dave["certificate"] is None, "a refused certificate was registered anyway"
        return f"HTTP {answer.status_code}"


async def _tampered_offline_signature(http: httpx.AsyncClient, net: HostileNetwork) -> str:
    """carol prepares a put, then endorses it with a signature that has one bit flipped."""
    prepared = await http.post("/v1/transactions/prepare", headers=bearer(net.rest_user_token),
                               json={"chaincode": "kv", "function": "put", "args": ["attack/rest", "forged"]})
    prepared.raise_for_status()
    body = prepared.json()
    signature = bytearray(net.offline_signer.sign(base64.b64decode(body["proposal"])))
    signature[0] ^= 0x01
    answer = await http.post(f"/v1/transactions/{body['tx_id']}/endorse", headers=bearer(net.rest_user_token),
                             json={"signature": base64.b64encode(bytes(signature)).decode()})
    state = (await http.get(f"/v1/transactions/{body['tx_id']}", headers=bearer(net.rest_user_token))).json()
    assert state["status"] == "prepared", f"a refused signature moved the transaction on: {state}"
    return f"HTTP {answer.status_code}"
