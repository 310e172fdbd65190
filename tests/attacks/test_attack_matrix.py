"""The attack matrix (issue 15, item 3): each attack at each entry point of a real network is refused with the
documented answer, and nothing is written. MATRIX is the table docs/reliability.md shows ("Attack matrix"); a cell
that does not apply says why instead of being skipped.

After every cell the ledger must be as before: peer height and state hash, every orderer's height, and the REST
service's user store. The two replay cells that the network answers by ordering the copy (an idempotent resubmission)
check instead that the copy is committed DUPLICATE_TXID and the first commit still stands. A last sweep reads every
block and finds no forged transaction.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gridledger.common import txbuilder
from gridledger.v1 import peer_pb2, peer_pb2_grpc, transaction_pb2
from tests.attacks import probes
from tests.attacks.forge import FORGED_PREFIX, Attack, Forgery, forgery, open_channel
from tests.attacks.hostile import ORG, HostileNetwork
from tests.attacks.probes import Committed, bearer

pytestmark = pytest.mark.integration
DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"

ENTRY_POINTS = ("gateway", "endorser", "orderer broadcast", "orderer deliver", "peer deliver", "admin", "cluster",
                "REST")


@dataclass(frozen=True)
class Refused:
    """What the entry point answers, as the probe writes it."""

    answer: str


@dataclass(frozen=True)
class NotApplicable:
    why: str


GATEWAY_BAD_CREATOR = Refused("Endorse UNAUTHENTICATED, Submit PERMISSION_DENIED")
TLS_REFUSED = Refused("UNAVAILABLE")
GATEWAY_TLS = Refused("Endorse UNAVAILABLE, Submit UNAVAILABLE")
NO_SIGNED_IDENTITY = NotApplicable("no signed message: a cluster stream is admitted by its TLS certificate alone, "
                                   "which must be a consenter's certificate from the channel config (rows wrong "
                                   "role, wrong organisation, TLS from another CA)")
EVERY_ROLE_READS = NotApplicable("every role may read: peers and orderers always, clients and admins through the "
                                 "Readers policy (ANY member)")
NO_TLS_AT_REST = NotApplicable("the REST service speaks HTTP with bearer tokens; TLS is the job of the reverse "
                               "proxy in front of it (its own connection to the peer is mutual TLS)")
READS_ARE_NOT_TRANSACTIONS = NotApplicable("a deliver request is a signed read, not a transaction: repeating it "
                                           "serves the same blocks to the same reader")
BAD_CERTIFICATE = Refused("HTTP 400")  # POST /v1/users/{name}/certificate: bad-certificate

MATRIX: dict[Attack, dict[str, Refused | NotApplicable]] = {
    Attack.FOREIGN_CA: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": Refused("FORBIDDEN"),
        "peer deliver": Refused("FORBIDDEN"), "admin": Refused("PERMISSION_DENIED"), "cluster": NO_SIGNED_IDENTITY,
        "REST": BAD_CERTIFICATE},
    Attack.EXPIRED: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": Refused("FORBIDDEN"),
        "peer deliver": Refused("FORBIDDEN"), "admin": Refused("PERMISSION_DENIED"), "cluster": NO_SIGNED_IDENTITY,
        "REST": BAD_CERTIFICATE},
    Attack.REVOKED: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": Refused("FORBIDDEN"),
        "peer deliver": Refused("FORBIDDEN"), "admin": Refused("PERMISSION_DENIED"),
        "cluster": NotApplicable("TLS certificates have no revocation list (revoked_serials names signing "
                                 "certificates); the cluster admits only the consenters' own TLS certificates"),
        "REST": BAD_CERTIFICATE},
    Attack.WRONG_ROLE: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": EVERY_ROLE_READS,
        "peer deliver": EVERY_ROLE_READS, "admin": Refused("PERMISSION_DENIED"),
        "cluster": Refused("PERMISSION_DENIED"), "REST": BAD_CERTIFICATE},
    Attack.WRONG_ORG: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": Refused("FORBIDDEN"),
        "peer deliver": Refused("FORBIDDEN"), "admin": Refused("PERMISSION_DENIED"),
        "cluster": Refused("PERMISSION_DENIED"), "REST": BAD_CERTIFICATE},
    Attack.TAMPERED: {
        "gateway": GATEWAY_BAD_CREATOR, "endorser": Refused("UNAUTHENTICATED"),
        "orderer broadcast": Refused("FORBIDDEN"), "orderer deliver": Refused("FORBIDDEN"),
        "peer deliver": Refused("FORBIDDEN"), "admin": Refused("UNAUTHENTICATED"),
        "cluster": Refused("PERMISSION_DENIED"),  # cluster messages are unsigned: a sender_id not the TLS identity's
        "REST": Refused("HTTP 400")},
    Attack.REPLAYED: {
        "gateway": Refused("Endorse ALREADY_EXISTS, Submit OK, committed DUPLICATE_TXID"),
        "endorser": Refused("ALREADY_EXISTS"),
        "orderer broadcast": Refused("SUCCESS, committed DUPLICATE_TXID"),
        "orderer deliver": READS_ARE_NOT_TRANSACTIONS, "peer deliver": READS_ARE_NOT_TRANSACTIONS,
        "admin": NotApplicable("admin requests are not transactions: nothing is ordered, and each request (install, "
                               "query, channel info, join) gives the same outcome when repeated"),
        "cluster": NotApplicable("no transactions travel on the cluster: Raft entries are blocks the leader built, "
                                 "appended idempotently by number and hash"),
        "REST": Refused("HTTP 404")},
    Attack.OTHER_CHANNEL: {
        "gateway": Refused("Endorse NOT_FOUND, Submit INVALID_ARGUMENT"), "endorser": Refused("NOT_FOUND"),
        "orderer broadcast": Refused("BAD_REQUEST"), "orderer deliver": Refused("NOT_FOUND"),
        "peer deliver": Refused("NOT_FOUND"), "admin": Refused("NOT_FOUND"), "cluster": Refused("NOT_FOUND"),
        "REST": NotApplicable("the service builds every proposal for its own channel; no request names one")},
    Attack.NO_TLS: {
        "gateway": GATEWAY_TLS, "endorser": TLS_REFUSED, "orderer broadcast": TLS_REFUSED,
        "orderer deliver": TLS_REFUSED, "peer deliver": TLS_REFUSED, "admin": TLS_REFUSED, "cluster": TLS_REFUSED,
        "REST": NO_TLS_AT_REST},
    Attack.FOREIGN_TLS: {
        "gateway": GATEWAY_TLS, "endorser": TLS_REFUSED, "orderer broadcast": TLS_REFUSED,
        "orderer deliver": TLS_REFUSED, "peer deliver": TLS_REFUSED, "admin": TLS_REFUSED, "cluster": TLS_REFUSED,
        "REST": NO_TLS_AT_REST},
}
CELLS = [(attack, entry) for attack, row in MATRIX.items() for entry, cell in row.items()
         if isinstance(cell, Refused)]
# Replays the network answers by ordering the copy; their check is the copy's validation code, not the heights.
ORDERED_REPLAYS = {(Attack.REPLAYED, "gateway"), (Attack.REPLAYED, "orderer broadcast")}


def markdown_table() -> list[str]:
    """MATRIX as docs/reliability.md shows it: one line per attack, then one numbered line per reason a cell does
    not apply."""
    reasons: list[str] = []
    lines = ["| attack | " + " | ".join(ENTRY_POINTS) + " |", "| --- " * (len(ENTRY_POINTS) + 1) + "|"]
    for attack, row in MATRIX.items():
        cells = []
        for entry in ENTRY_POINTS:
            cell = row[entry]
            if isinstance(cell, Refused):
                cells.append(cell.answer)
                continue
            if cell.why not in reasons:
                reasons.append(cell.why)
            cells.append(f"n/a ({reasons.index(cell.why) + 1})")
        lines.append(f"| {attack.value} | " + " | ".join(cells) + " |")
    return [*lines, "", *(f"- ({number}) {why}." for number, why in enumerate(reasons, 1))]


# ---------- the ledger before and after ----------

def _height(url: str) -> int:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        return int(json.loads(response.read())["height"])


async def snapshot(net: HostileNetwork) -> dict[str, object]:
    """What an accepted attack would change: the peer's chain and state, every orderer's height, REST's users."""
    async with net.clients.connect(net.clients.first_peer(ORG)) as admin:
        info = await admin.channel_info(timeout=10)
    orderers = [f"http://127.0.0.1:{node.operations_port}" for _, node in net.clients.network.orderer_nodes()]
    heights = await asyncio.gather(*(asyncio.to_thread(_height, url) for url in orderers))
    users = hashlib.sha256((net.local.rest_dir(ORG) / "users.json").read_bytes()).hexdigest()
    return {"peer height": info.height, "state hash": info.state_hash.hex(), "orderer heights": heights,
            "rest users": users}


async def settled(net: HostileNetwork) -> dict[str, object]:
    """A snapshot once every orderer and the peer hold the same number of blocks."""
    for _ in range(100):
        state = await snapshot(net)
        if set(state["orderer heights"]) == {state["peer height"]}:
            return state
        await asyncio.sleep(0.1)
    raise AssertionError(f"the network did not settle: {state}")


# ---------- a transaction to replay ----------

async def _commit_for_replay(net: HostileNetwork) -> Committed:
    user = net.attackers.user.identity
    prepared = txbuilder.new_proposal(user, net.clients.network.channel, "kv", "put", ["replayed", "1"])
    async with open_channel(net.peer_address, Forgery(user).transport, net.attackers) as channel:
        gateway = peer_pb2_grpc.GatewayStub(channel)
        endorsed = await gateway.Endorse(peer_pb2.EndorseRequest(proposal=prepared.signed))
        signed = txbuilder.sign_payload(user, endorsed.prepared_payload)
        await gateway.Submit(peer_pb2.SubmitRequest(envelope=signed))
        status = await gateway.CommitStatus(peer_pb2.CommitStatusRequest(tx_id=prepared.tx_id), timeout=30)
    rest_tx_id, rest_signature = await _offline_commit(net)
    return Committed(prepared.tx_id, status.block_number, prepared.signed, signed, rest_tx_id, rest_signature)


async def _offline_commit(net: HostileNetwork) -> tuple[str, str]:
    """carol's offline put through REST, committed; returns its tx id and the payload signature she sent."""
    signer, headers = net.offline_signer, bearer(net.rest_user_token)

    def signed(data: str) -> dict[str, str]:
        return {"signature": base64.b64encode(signer.sign(base64.b64decode(data))).decode()}

    async with httpx.AsyncClient(base_url=net.rest_url, timeout=30) as http:
        prepared = (await http.post("/v1/transactions/prepare", headers=headers,
                                    json={"chaincode": "kv", "function": "put", "args": ["replayed-rest", "1"]}))
        tx_id = prepared.json()["tx_id"]
        endorsed = await http.post(f"/v1/transactions/{tx_id}/endorse", headers=headers,
                                   json=signed(prepared.json()["proposal"]))
        signature = signed(endorsed.json()["payload"])
        submitted = await http.post(f"/v1/transactions/{tx_id}/submit", headers=headers, json=signature)
        assert submitted.json()["validation_code"] == "VALID", submitted.text
    return tx_id, signature["signature"]


@pytest.fixture(scope="module")
def committed(hostile: HostileNetwork) -> Committed:
    return asyncio.run(_commit_for_replay(hostile))


# ---------- trying one cell ----------

SIGNED_PROBES = {"gateway": probes.at_gateway, "endorser": probes.at_endorser,
                 "orderer broadcast": probes.at_broadcast, "orderer deliver": probes.at_orderer_deliver,
                 "peer deliver": probes.at_peer_deliver, "admin": probes.at_admin}


async def _replay(net: HostileNetwork, entry: str, committed: Committed) -> str:
    async with open_channel(net.peer_address if entry != "orderer broadcast" else net.orderer_address,
                            Forgery(net.attackers.user.identity).transport, net.attackers) as channel:
        if entry == "endorser":
            return await probes.status_of(peer_pb2_grpc.EndorserStub(channel).ProcessProposal(committed.proposal))
        since = (await snapshot(net))["peer height"]
        if entry == "orderer broadcast":
            answer = await probes.broadcast(channel, committed.envelope)
        else:
            gateway = peer_pb2_grpc.GatewayStub(channel)
            endorsed = await probes.status_of(gateway.Endorse(peer_pb2.EndorseRequest(proposal=committed.proposal)))
            submitted = await probes.status_of(gateway.Submit(peer_pb2.SubmitRequest(envelope=committed.envelope)))
            answer = f"Endorse {endorsed}, Submit {submitted}"
            first = await gateway.CommitStatus(peer_pb2.CommitStatusRequest(tx_id=committed.tx_id))
            assert (first.block_number, first.code) == (committed.block, 1), "the first commit no longer stands"
    return f"{answer}, {await probes.wait_for_copy(net, committed.tx_id, since)}"


async def attempt(net: HostileNetwork, attack: Attack, entry: str, committed: Committed) -> str:
    if entry == "REST":
        return await probes.at_rest(net, attack, committed)
    if entry == "cluster":
        return await probes.at_cluster(net, probes.cluster_attempt(net, attack))
    if attack is Attack.REPLAYED:
        return await _replay(net, entry, committed)
    return await SIGNED_PROBES[entry](net, forgery(net.attackers, attack, "admin" if entry == "admin" else "client"))


@pytest.mark.parametrize(("attack", "entry"), CELLS, ids=[f"{a.name.lower()}@{e}" for a, e in CELLS])
def test_attack_is_refused_and_nothing_is_written(hostile: HostileNetwork, committed: Committed, attack: Attack,
                                                  entry: str) -> None:
    async def scenario() -> tuple[str, dict, dict]:
        before = await settled(hostile)
        answer = await attempt(hostile, attack, entry, committed)
        return answer, before, await snapshot(hostile)

    answer, before, after = asyncio.run(scenario())
    assert answer == MATRIX[attack][entry].answer
    if (attack, entry) not in ORDERED_REPLAYS:
        assert after == before


def test_every_cell_is_tried_or_says_why() -> None:
    for attack in Attack:
        row = MATRIX[attack]
        assert tuple(row) == ENTRY_POINTS, f"{attack.value}: entry points {tuple(row)}"
        for entry, cell in row.items():
            assert isinstance(cell, Refused) or len(cell.why) > 40, f"{attack.value} at {entry}: no reason given"


def test_the_documented_matrix_is_this_one() -> None:
    documented = DOCS.read_text()
    missing = [line for line in markdown_table() if line not in documented]
    assert not missing, f"docs/reliability.md's attack matrix differs from MATRIX; missing lines: {missing}"


def test_no_forged_transaction_reached_any_block(hostile: HostileNetwork, committed: Committed) -> None:
    """The sweep: every block on the peer, every transaction's first argument; and every orderer at one height."""
    async def keys() -> list[str]:
        state = await settled(hostile)
        found = []
        async with hostile.clients.connect(hostile.clients.first_peer(ORG), "user1") as client:
            async for block in client.blocks(0, stop=state["peer height"]):
                for raw in block.data.envelopes:
                    payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(raw).payload)
                    if transaction_pb2.Header.FromString(payload.header).type != transaction_pb2.ENDORSER_TRANSACTION:
                        continue
                    invocation = transaction_pb2.ChaincodeInvocation.FromString(
                        transaction_pb2.Transaction.FromString(payload.data).invocation)
                    found.append(invocation.args[0].decode(errors="replace") if invocation.args else "")
        return found

    found = asyncio.run(keys())
    assert "replayed" in found
    assert not [key for key in found if key.startswith(FORGED_PREFIX)]
