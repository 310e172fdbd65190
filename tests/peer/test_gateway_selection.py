"""Which peers the gateway asks to endorse (peer/gateway.py), on in-memory policies and peer lists.

docs/design.md ("Gateway"): endorsers are chosen from the endorsement policy's minimal org sets, the gateway's own
org first. Choosing wrongly either fails transactions at commit (too few orgs), wastes endorsements (too many), or
sends load away from the gateway's own peer, so the choice is pinned here for AND, OR and OutOf policies, for orgs
with no reachable peer, and for policies no reachable set can satisfy.

Seams: `satisfying_org_sets` (the policy's minimal org sets, smallest first) is public and tested directly. The
own-org-first ordering and the reachability filter live in `GatewayCore._org_sets`, fed the definition the local
peer's simulation read, so they are tested through the smallest public seam, `GatewayCore.endorse`:
a real GatewayCore whose local endorser is a real Endorser and whose remote endorsers are `FakeRemote`s that call
the other peers' real Endorsers in-process (no gRPC). Definitions are deployed through `_lifecycle` on a
three-org variant of raft.yaml (tests/peer/inmemory.py). Outcomes checked: which peers simulated the proposal and
which orgs signed the prepared transaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from pathlib import Path

import grpc
import pytest

from gridledger.common import txbuilder
from gridledger.common.batching import StreamUnavailable
from gridledger.common.nodeconfig import Endpoint
from gridledger.common.policy import PolicyError
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.peer.committer import CommitNotifier
from gridledger.peer.gateway import GatewayCore, GatewayError, satisfying_org_sets
from gridledger.v1 import peer_pb2, transaction_pb2
from tests.peer.inmemory import ORG1, ORG2, ORG3, InMemoryChannel, Tx, code_names

AND_12 = "and12"
AND_23 = "and23"
ANY_ORG = "anyorg"
TWO_OF_THREE = "twoofthree"
POLICIES = {
    AND_12: "AND('Org1MSP.peer', 'Org2MSP.peer')",
    AND_23: "AND('Org2MSP.peer', 'Org3MSP.peer')",
    ANY_ORG: "OR('Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
    TWO_OF_THREE: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')",
}
PEER_ORGS = (ORG1, ORG2, ORG3)


@pytest.fixture(scope="module")
def deployed(three_org_crypto: tuple[NetworkDefinition, Path],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[InMemoryChannel]:
    """One channel for the module: endorsing writes nothing, so the tests cannot disturb each other."""
    network, crypto = three_org_crypto
    opened = InMemoryChannel(network, crypto, tmp_path_factory.mktemp("gateway-peer"))
    try:
        for name, policy in POLICIES.items():
            opened.deploy(name, policy, [ORG1, ORG2])  # LifecycleEndorsement is MAJORITY: two of three orgs
        yield opened
    finally:
        opened.close()


@pytest.fixture
def channel(deployed: InMemoryChannel) -> InMemoryChannel:
    deployed.calls.clear()
    return deployed


class FakeRemote:
    """Stands in for RemoteEndorser (a batching gRPC stream to another peer): the same `endpoint` and `endorse`
    coroutine, answered by that peer's real Endorser, or StreamUnavailable when the peer is down."""

    def __init__(self, channel: InMemoryChannel, name: str, *, up: bool = True) -> None:
        self.endpoint = Endpoint(name=name, msp_id=channel.peer_org[name], address=f"{name}:7051")
        self._endorser = channel.endorsers[name]
        self.up = up
        self.attempts = 0

    async def endorse(self, proposal: transaction_pb2.SignedProposal) -> transaction_pb2.ProposalResponse:
        self.attempts += 1
        if not self.up:
            raise StreamUnavailable(f"{self.endpoint.name} is down")
        return self._endorser.process(proposal)


class NoOrderer:
    """Endorsement never reaches the ordering service."""

    async def broadcast(self, envelope: transaction_pb2.Envelope) -> None:
        raise AssertionError("the gateway broadcast during endorsement")


def remotes(channel: InMemoryChannel, own: str, *, without: Iterable[str] = (),
            down: Iterable[str] = ()) -> dict[str, list[FakeRemote]]:
    """Every peer of the other orgs, in network order, as the peer node builds its remotes; `without` lists
    orgs left out entirely, `down` peers that are configured but unreachable."""
    skipped, unreachable = set(without), set(down)
    found: dict[str, list[FakeRemote]] = {}
    for name, msp_id in channel.peer_org.items():
        if msp_id != channel.peer_org[own] and msp_id not in skipped:
            found.setdefault(msp_id, []).append(FakeRemote(channel, name, up=name not in unreachable))
    return found


def gateway(channel: InMemoryChannel, own: str, peers: dict[str, list[FakeRemote]]) -> GatewayCore:
    return GatewayCore(channel.peer_org[own], channel.endorsers[own], peers, NoOrderer(),  # type: ignore[arg-type]
                       CommitNotifier(), channel.ledger)


def endorse(core: GatewayCore, channel: InMemoryChannel, chaincode: str,
            endorsing_orgs: Iterable[str] = ()) -> tuple[Tx, peer_pb2.EndorseResponse]:
    """Endorse a write through the gateway; returns the transaction signed by the client and the raw answer."""
    user = channel.user()
    prepared = channel.proposal(user, chaincode, "put", "selected", "1")
    request = peer_pb2.EndorseRequest(proposal=prepared.signed, endorsing_orgs=list(endorsing_orgs))
    response = asyncio.run(core.endorse(request))
    envelope = txbuilder.sign_payload(user, response.prepared_payload)
    return Tx(prepared.tx_id, envelope.SerializeToString()), response


def signing_orgs(response: peer_pb2.EndorseResponse) -> list[str]:
    """MSP ids of the endorsements in the prepared transaction, sorted."""
    transaction = transaction_pb2.Transaction.FromString(
        transaction_pb2.Payload.FromString(response.prepared_payload).data)
    return sorted(endorsement.endorser.msp_id for endorsement in transaction.endorsements)


# ----- the policy's minimal org sets -----


@pytest.mark.parametrize(("expression", "expected"), [
    ("AND('Org1MSP.peer', 'Org2MSP.peer')", [{ORG1, ORG2}]),
    ("OR('Org3MSP.peer', 'Org1MSP.peer')", [{ORG1}, {ORG3}]),
    ("OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')", [{ORG1, ORG2}, {ORG1, ORG3}, {ORG2, ORG3}]),
    ("MAJORITY", [{ORG1, ORG2}, {ORG1, ORG3}, {ORG2, ORG3}]),
    ("OR(AND('Org1MSP.peer', 'Org2MSP.peer'), 'Org3MSP.peer')", [{ORG3}, {ORG1, ORG2}]),
    ("AND('Org1MSP.peer', OR('Org1MSP.peer', 'Org2MSP.peer'))", [{ORG1}, {ORG1, ORG2}]),
], ids=["and", "or", "out-of-2-of-3", "majority", "smallest-first", "overlapping"])
def test_satisfying_org_sets_are_minimal_and_smallest_first(expression: str, expected: list[set[str]]) -> None:
    assert [set(orgs) for orgs in satisfying_org_sets(expression, PEER_ORGS)] == expected


def test_satisfying_org_sets_rejects_a_policy_naming_an_org_outside_the_channel() -> None:
    with pytest.raises(PolicyError, match="unknown organisation 'Org9MSP'"):
        satisfying_org_sets("AND('Org1MSP.peer', 'Org9MSP.peer')", PEER_ORGS)


# ----- which peers the gateway asks -----


def test_and_of_two_orgs_asks_one_peer_of_each(channel: InMemoryChannel) -> None:
    """Org2 has two peers: only the first is asked. The result commits VALID under the AND policy."""
    peers = remotes(channel, "peer0-org1")
    tx, response = endorse(gateway(channel, "peer0-org1", peers), channel, AND_12)

    assert sorted(channel.calls) == ["peer0-org1", "peer0-org2"]
    assert signing_orgs(response) == [ORG1, ORG2]
    assert [remote.attempts for remote in peers[ORG2]] == [1, 0]
    assert code_names(channel.commit(tx)) == ["VALID"]


@pytest.mark.parametrize("own", ["peer0-org1", "peer1-org2", "peer0-org3"])
def test_or_policy_is_endorsed_by_the_gateway_org_alone(channel: InMemoryChannel, own: str) -> None:
    """Every org alone satisfies OR; the gateway uses its own peer, even when its org sorts last."""
    _, response = endorse(gateway(channel, own, remotes(channel, own)), channel, ANY_ORG)

    assert channel.calls == [own]
    assert signing_orgs(response) == [channel.peer_org[own]]


@pytest.mark.parametrize(("own", "expected"), [
    ("peer0-org1", [ORG1, ORG2]),
    ("peer0-org2", [ORG1, ORG2]),
    ("peer0-org3", [ORG1, ORG3]),  # policy order alone would give {Org1, Org2}
], ids=["org1", "org2", "org3"])
def test_out_of_two_of_three_prefers_a_set_with_the_gateway_org(channel: InMemoryChannel, own: str,
                                                                 expected: list[str]) -> None:
    _, response = endorse(gateway(channel, own, remotes(channel, own)), channel, TWO_OF_THREE)

    assert signing_orgs(response) == expected
    assert own in channel.calls and len(channel.calls) == 2


def test_policy_without_the_gateway_org_leaves_the_local_endorsement_out(channel: InMemoryChannel) -> None:
    """The local peer simulates once (that is where the definition, and so the policy, is read), but its
    endorsement is not part of a transaction whose policy names other orgs."""
    _, response = endorse(gateway(channel, "peer0-org1", remotes(channel, "peer0-org1")), channel, AND_23)

    assert channel.calls == ["peer0-org1", "peer0-org2", "peer0-org3"]
    assert signing_orgs(response) == [ORG2, ORG3]


def test_org_without_configured_peers_is_skipped_for_another_minimal_set(channel: InMemoryChannel) -> None:
    """With no Org2 peer known, {Org1, Org2} is not attempted at all: {Org1, Org3} is chosen straight away."""
    peers = remotes(channel, "peer0-org1", without=[ORG2])
    _, response = endorse(gateway(channel, "peer0-org1", peers), channel, TWO_OF_THREE)

    assert signing_orgs(response) == [ORG1, ORG3]
    assert sorted(channel.calls) == ["peer0-org1", "peer0-org3"]


def test_org_whose_peers_are_all_down_falls_back_to_another_minimal_set(channel: InMemoryChannel) -> None:
    """Org2's peers are configured but unreachable: each is tried once for {Org1, Org2}, then {Org1, Org3}
    succeeds; the local endorsement made first serves both attempted sets."""
    peers = remotes(channel, "peer0-org1", down=["peer0-org2", "peer1-org2"])
    _, response = endorse(gateway(channel, "peer0-org1", peers), channel, TWO_OF_THREE)

    assert signing_orgs(response) == [ORG1, ORG3]
    assert [remote.attempts for remote in peers[ORG2]] == [1, 1]
    assert sorted(channel.calls) == ["peer0-org1", "peer0-org3"]


def test_first_peer_of_an_org_down_the_next_peer_of_that_org_endorses(channel: InMemoryChannel) -> None:
    peers = remotes(channel, "peer0-org1", down=["peer0-org2"])
    _, response = endorse(gateway(channel, "peer0-org1", peers), channel, AND_12)

    assert signing_orgs(response) == [ORG1, ORG2]
    assert sorted(channel.calls) == ["peer0-org1", "peer1-org2"]


@pytest.mark.parametrize(("own", "chaincode", "without"), [
    ("peer0-org1", AND_12, [ORG2]),
    ("peer0-org1", AND_23, [ORG3]),
    ("peer0-org1", TWO_OF_THREE, [ORG2, ORG3]),
], ids=["and-partner-missing", "foreign-set-missing-an-org", "out-of-only-own-org-left"])
def test_no_reachable_set_satisfies_the_policy(channel: InMemoryChannel, own: str, chaincode: str,
                                               without: list[str]) -> None:
    """No remote peer is asked when no minimal set is reachable (only the local peer, whose simulation read the
    definition); the gateway answers UNAVAILABLE."""
    core = gateway(channel, own, remotes(channel, own, without=without))

    with pytest.raises(GatewayError, match=f"no set of reachable peers can satisfy the endorsement policy of "
                                           f"'{chaincode}'") as raised:
        endorse(core, channel, chaincode)

    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert channel.calls == [own]


def test_every_reachable_set_failing_is_unavailable_naming_the_peers(channel: InMemoryChannel) -> None:
    peers = remotes(channel, "peer0-org1", down=["peer0-org2", "peer1-org2"])

    with pytest.raises(GatewayError, match="endorsement failed: no endorser of Org2MSP answered") as raised:
        endorse(gateway(channel, "peer0-org1", peers), channel, AND_12)

    assert raised.value.code == grpc.StatusCode.UNAVAILABLE
    assert "peer0-org2" in str(raised.value) and "peer1-org2" in str(raised.value)


def test_endorsing_orgs_in_the_request_override_the_policy_choice(channel: InMemoryChannel) -> None:
    """A client may name the orgs itself; the gateway obeys even when they cannot satisfy the policy, and the
    committer then rejects the transaction."""
    core = gateway(channel, "peer0-org1", remotes(channel, "peer0-org1"))
    tx, response = endorse(core, channel, AND_12, endorsing_orgs=[ORG1])

    assert channel.calls == ["peer0-org1"]
    assert signing_orgs(response) == [ORG1]
    assert code_names(channel.commit(tx)) == ["ENDORSEMENT_POLICY_FAILURE"]


def test_chaincode_without_a_committed_definition_is_not_found(channel: InMemoryChannel) -> None:
    core = gateway(channel, "peer0-org1", remotes(channel, "peer0-org1"))

    with pytest.raises(GatewayError, match="'undeployed' is not committed") as raised:
        endorse(core, channel, "undeployed")

    assert raised.value.code == grpc.StatusCode.NOT_FOUND
    assert channel.calls == ["peer0-org1"]  # the local simulation found no definition; nobody else was asked
