"""The aggregator chaincode on a real network (2 orgs x 1 peer, solo orderer, AND(Org1.peer, Org2.peer)): CVXPY
agents of a 4-bus feeder run ADMM iterations through the ledger. Every close is endorsed by both organisations
(the gateway joins endorsements only when their bytes agree), both peers hold the same state, and it is the state
the pure step recomputes from the copies on the ledger. Bad copies are refused and leave nothing behind."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator

import pytest
import yaml

from gridledger.common import txbuilder
from gridledger.common.msp import fingerprint
from gridledger.common.opf import SCALE, AdmmConfig, Layout, initial_state, step
from gridledger.common.opf.codec import feeder_to_json, state_from_json
from gridledger.lab.opf.agent import LocalSolver
from gridledger.sdk import ChaincodeError, GatewayClient
from gridledger.v1 import block_pb2, transaction_pb2
from tests.integration.network import REPO, TWO_ORGS, ItNetwork
from tests.opf.feeders import small_scenario

pytestmark = pytest.mark.integration
SCENARIO = small_scenario(steps=2, seed=1)
FEEDER = SCENARIO.feeder
LAYOUT = Layout.of(FEEDER, SCENARIO.steps)
CONFIG = AdmmConfig("y4", rho=100.0, eps_pri=1e-4, eps_dual=1e-2, max_iterations=100)
AGENTS = [f"bus{bus}" for bus in range(FEEDER.buses)]
ITERATIONS = 6
SILENT = (3, 4)  # bus 3 sends nothing in iteration 4: the reuse rule fills in its last copy


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ItNetwork]:
    net = ItNetwork(tmp_path_factory.mktemp("opf"), orgs=2, peers_per_org=1)
    definition = yaml.safe_load(net.network_file.read_text())
    definition["peer_orgs"][0]["clients"] = ["user1", *AGENTS]
    net.network_file.write_text(yaml.safe_dump(definition))
    try:
        net.up()
        net.deploy("opf", REPO / "gridledger" / "chaincode" / "opf", TWO_ORGS)
        yield net
    finally:
        net.local.down()


def _args(*args: object) -> list[str]:
    return [a if isinstance(a, str) else json.dumps(a) for a in args]


async def _submit(client: GatewayClient, function: str, *args: object) -> tuple[bytes, list[str]]:
    """Submit through the gateway; returns the answer and the MSP ids that endorsed it."""
    prepared, endorsed = await client.endorse("opf", function, *_args(*args))
    payload = transaction_pb2.Payload.FromString(endorsed.prepared_payload)
    orgs = sorted(e.endorser.msp_id for e in transaction_pb2.Transaction.FromString(payload.data).endorsements)
    status = await client.submit_envelope(txbuilder.sign_payload(client.identity, endorsed.prepared_payload),
                                          prepared.tx_id)
    assert status.code == block_pb2.VALID, function
    return endorsed.result.payload, orgs


async def _run(net: ItNetwork) -> dict:
    peers = net.peers
    operator = net.clients.connect(peers[0])  # Org1's admin
    org2 = net.clients.connect(peers[1])
    agents = [net.clients.connect(peers[0], name) for name in AGENTS]
    try:
        await operator.submit("opf", "create_run", *_args(CONFIG.to_dict(), feeder_to_json(FEEDER), SCENARIO.steps))
        await operator.submit("opf", "register", *_args("y4", [
            {"bus": bus, "fingerprint": fingerprint(agent.identity.certificate)} for bus, agent in enumerate(agents)]))
        solvers = [LocalSolver(SCENARIO, LAYOUT, bus, CONFIG.rho) for bus in range(FEEDER.buses)]
        endorsers, states, refusals = [], [], {}

        async def agent_turn(bus: int, iteration: int) -> None:
            target = json.loads(await agents[bus].evaluate("opf", "target", "y4", str(bus)))
            assert target["iteration"] == iteration
            copy = solvers[bus].solve(tuple(target["target"]))
            await agents[bus].submit("opf", "submit_copy", *_args("y4", iteration, bus, list(copy)))

        for iteration in range(1, ITERATIONS + 1):
            if iteration == 2:  # before bus 2's good copy: had any of these been written, that one would be refused
                refusals = await _bad_copies(agents[2], iteration)
            await asyncio.gather(*(agent_turn(bus, iteration) for bus in range(FEEDER.buses)
                                   if (bus, iteration) != SILENT))
            if iteration == 2:
                refusals |= await _bad_submitters(agents, iteration)
            summary, orgs = await _submit(operator, "close_iteration", "y4", iteration)
            endorsers.append(orgs)
            on_peers = [await _state_at(c, iteration) for c in (operator, org2)]
            states.append((json.loads(summary), on_peers))
        late = await _refused(agents[0], "y4", ITERATIONS, 0, [0] * LAYOUT.copy_length(0))
        copies = {(i, b): await operator.evaluate("opf", "get_copy", "y4", str(i), str(b))
                  for i in range(1, ITERATIONS + 1) for b in range(FEEDER.buses) if (b, i) != SILENT}
        return {"endorsers": endorsers, "states": states, "refusals": refusals, "late": late, "copies": copies}
    finally:
        for client in (operator, org2, *agents):
            await client.close()


async def _state_at(client: GatewayClient, iteration: int) -> bytes:
    """The peer's state once it has committed the close of `iteration` (the submit waited for Org1's peer only;
    Org2's may be a block behind)."""
    for _ in range(100):
        raw = await client.evaluate("opf", "get_state", "y4")
        if json.loads(raw)["iteration"] >= iteration:
            return raw
        await asyncio.sleep(0.05)
    raise AssertionError(f"{client.address} did not commit iteration {iteration} within 5 s")


async def _refused(client: GatewayClient, *args: object) -> str:
    with pytest.raises(ChaincodeError) as caught:
        await client.submit("opf", "submit_copy", *_args(*args))
    return caught.value.message


GOOD = [0, 0, 0, 0, SCALE, SCALE, SCALE, SCALE]  # a copy of bus 2: P2, Q2, v2, v1 over two steps


async def _bad_copies(agent: GatewayClient, iteration: int) -> dict[str, str]:
    """Bus 2's own agent, in the open iteration, with copies no device could send."""
    return {
        "wrong length": await _refused(agent, "y4", iteration, 2, GOOD[:7]),
        "nan": await _refused(agent, "y4", iteration, 2, [math.nan, *GOOD[1:]]),
        "infinity": await _refused(agent, "y4", iteration, 2, [*GOOD[:3], math.inf, *GOOD[4:]]),
        "voltage": await _refused(agent, "y4", iteration, 2, [*GOOD[:4], 2 * SCALE, *GOOD[5:]]),
    }


async def _bad_submitters(agents: list[GatewayClient], iteration: int) -> dict[str, str]:
    """After every bus has sent its copy of the iteration: again, someone else's bus, the wrong iteration."""
    return {
        "duplicate": await _refused(agents[2], "y4", iteration, 2, GOOD),
        "not registered at the bus": await _refused(agents[1], "y4", iteration, 2, GOOD),
        "wrong iteration": await _refused(agents[2], "y4", iteration + 1, 2, GOOD),
        "no such bus": await _refused(agents[0], "y4", iteration, 9, GOOD),
    }


@pytest.fixture(scope="module")
def outcome(network: ItNetwork) -> dict:
    return asyncio.run(_run(network))


def test_every_close_is_endorsed_by_both_organisations_and_both_peers_agree(outcome: dict) -> None:
    assert outcome["endorsers"] == [["Org1MSP", "Org2MSP"]] * ITERATIONS
    for _, (org1_state, org2_state) in outcome["states"]:
        assert org1_state == org2_state


def test_the_ledger_state_is_the_pure_step_over_the_copies_on_the_ledger(outcome: dict) -> None:
    state = initial_state(FEEDER, LAYOUT)
    for iteration in range(1, ITERATIONS + 1):
        copies = {bus: tuple(json.loads(outcome["copies"][(iteration, bus)])) for bus in range(FEEDER.buses)
                  if (bus, iteration) != SILENT}
        state, reused = step(state, LAYOUT, CONFIG, copies)
        summary, (stored, _) = outcome["states"][iteration - 1]
        assert state_from_json(json.loads(stored)) == state
        assert summary["reused"] == list(reused) == ([3] if iteration == SILENT[1] else [])
    assert state.missed == 1 and state.primal_sq < outcome["states"][0][0]["primal_sq"]


def test_bad_and_late_copies_are_refused_with_a_precise_error(outcome: dict) -> None:
    refusals = outcome["refusals"]
    assert "bus 2 already submitted its copy for iteration 2" in refusals["duplicate"]
    assert "not the agent registered at bus 2" in refusals["not registered at the bus"]
    assert "iteration 3 is not open" in refusals["wrong iteration"]
    assert "bus 9 is not a bus of the run's feeder" in refusals["no such bus"]
    assert "bus 2's copy must have 8 entries, got 7" in refusals["wrong length"]
    assert "bus 2's copy entry 0 must be a fixed-point integer, got nan" in refusals["nan"]
    assert "bus 2's copy entry 3 must be a fixed-point integer, got inf" in refusals["infinity"]
    assert "bus 2's copy of v at bus 2, step 0 = 2000000000 is outside the voltage limits" in refusals["voltage"]
    assert f"iteration {ITERATIONS} is not open" in outcome["late"]  # a copy for the last, closed iteration
