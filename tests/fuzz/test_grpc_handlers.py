"""The CI slice of the gRPC handler fuzzing: mutated valid requests at every peer and orderer method of a real
running network over mutual TLS; every answer is a status the handler chose (no INTERNAL or UNKNOWN), no call hangs,
and every node is still running and healthy afterwards. The long run is `scripts/fuzz.py grpc` (make test-faults)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from gridledger.v1 import peer_pb2
from tests.fuzz import grpc_driver
from tests.fuzz.grpc_driver import GrpcFuzzer, Method
from tests.fuzz.livenet import FuzzNetwork

pytestmark = pytest.mark.integration

INPUTS_PER_SERVICE = 100
SEED = 15


@pytest.fixture(scope="module")
def network(fuzz_net: FuzzNetwork) -> FuzzNetwork:
    return fuzz_net


@pytest.fixture(scope="module")
def fuzzer(network: FuzzNetwork) -> Iterator[GrpcFuzzer]:
    fuzzer = GrpcFuzzer(network.crypto, network.definition.msp_ids, network.peer_address, network.orderer_address)
    yield fuzzer
    fuzzer.close()


@pytest.fixture(scope="module")
def methods(network: FuzzNetwork) -> list[Method]:
    return grpc_driver.methods(network.world(), network.crypto, network.committed_tx_id)


def test_every_seed_is_answered_ok(fuzzer: GrpcFuzzer, methods: list[Method]) -> None:
    """The seeds are requests the nodes accept, so mutations start from the end of each handler's checks."""
    refused = [(m.path, code.name) for m in methods for seed in m.seeds
               if (code := fuzzer.send(m, seed)[0]) not in (grpc.StatusCode.OK, grpc.StatusCode.CANCELLED)]
    assert not refused


def test_mutated_requests_get_a_chosen_status_and_the_nodes_stay_healthy(network: FuzzNetwork, fuzzer: GrpcFuzzer,
                                                                         methods: list[Method]) -> None:
    tallies = grpc_driver.run(fuzzer, methods, INPUTS_PER_SERVICE, SEED)
    crashes = [(path, code, data[:200].hex()) for t in tallies.values() for path, data, code in t.crashes]
    hangs = [(path, data[:200].hex()) for t in tallies.values() for path, data in t.hangs]
    assert not crashes
    assert not hangs
    assert sum(t.inputs for t in tallies.values()) >= INPUTS_PER_SERVICE * len(tallies)
    assert network.healthy()
    assert fuzzer.send(methods[0], methods[0].seeds[0])[0] == grpc.StatusCode.OK  # still endorses


def _method(methods: list[Method], name: str) -> Method:
    return next(m for m in methods if m.name == name)


def test_endorse_answers_a_refused_proposal_with_the_endorsers_status(network: FuzzNetwork, fuzzer: GrpcFuzzer,
                                                                      methods: list[Method]) -> None:
    """Found in the fuzzers' answers: Gateway.Endorse answered UNAVAILABLE ("endorsement failed"), which clients
    retry, for a proposal whose signature does not verify (Evaluate says UNAUTHENTICATED) and for endorsing_orgs
    naming no organisation of the channel."""
    unsigned = network.world().signed_proposal()
    unsigned.signature = bytes(64)
    evaluate = peer_pb2.EvaluateRequest(proposal=unsigned).SerializeToString()
    assert fuzzer.send(_method(methods, "Evaluate"), evaluate)[0] == grpc.StatusCode.UNAUTHENTICATED
    for request in (peer_pb2.EndorseRequest(proposal=unsigned),
                    peer_pb2.EndorseRequest(proposal=unsigned, endorsing_orgs=["Org1MSP"])):
        assert fuzzer.send(_method(methods, "Endorse"), request.SerializeToString())[0] == \
            grpc.StatusCode.UNAUTHENTICATED
    foreign = peer_pb2.EndorseRequest(proposal=network.world().signed_proposal(), endorsing_orgs=["../../etc"])
    assert fuzzer.send(_method(methods, "Endorse"), foreign.SerializeToString())[0] == \
        grpc.StatusCode.INVALID_ARGUMENT
