"""A whole ADMM run on a real network (2 orgs x 1 peer, solo orderer, AND(Org1.peer, Org2.peer)) through
`opf onchain`'s code: a 4-bus feeder from the flat start to convergence, then billing and settlement through the
token chaincode. Every close of every iteration carries both organisations' endorsements of the same bytes and is
valid on both peers, the peers hold the same blocks, and `opf verify`'s check recomputes it all from the ledger.
A minute or two of solves and blocks, so it runs with the fault tests (make test-faults)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from gridledger.common.envelope import invocation_of, open_stored, transaction_of
from gridledger.common.opf import AdmmConfig
from gridledger.common.opf.billing import account_of
from gridledger.lab.opf.onchain import CHAINCODE, TOKEN, OnChainRun, run_on_chain
from gridledger.lab.opf.verify import RunCheck, verify_run
from gridledger.ops.deploy import NetworkClients, peers_of
from gridledger.ops.localnet import LocalNetwork
from gridledger.sdk import Gateway
from gridledger.v1 import block_pb2
from tests.integration.network import write_network
from tests.opf.feeders import small_scenario

pytestmark = [pytest.mark.integration, pytest.mark.faults]
SCENARIO = small_scenario(steps=2, seed=1)
CONFIG = AdmmConfig("y4-whole", rho=100.0, eps_pri=1e-4, eps_dual=1e-2, max_iterations=400)


async def _transactions(clients: NetworkClients) -> dict[str, list[tuple[str, list[str], int]]]:
    """Per peer: (function, endorsing MSP ids, validation code) of every OPF transaction, block by block."""
    seen: dict[str, list[tuple[str, list[str], int]]] = {}
    for peer in peers_of(clients.network):
        client = clients.connect(peer)
        try:
            height = (await client.channel_info()).height
            rows = []
            async for block in client.blocks(0, stop=height):
                for raw, code in zip(block.data.envelopes, block.metadata.validation_codes, strict=True):
                    opened = open_stored(raw)
                    if not opened.payload.data:
                        continue
                    try:
                        tx = transaction_of(opened.payload)
                        invocation = invocation_of(tx)
                    except ValueError:
                        continue  # config and lifecycle envelopes
                    if invocation.chaincode == CHAINCODE:
                        rows.append((invocation.function, sorted(e.endorser.msp_id for e in tx.endorsements), code))
            seen[peer.name] = rows
        finally:
            await client.close()
    return seen


async def _inspect(data_dir) -> dict:
    local = LocalNetwork(data_dir)
    clients = NetworkClients(local.definition(), local.crypto_dir)
    gateway = await Gateway.connect_local(data_dir)
    try:
        opf = gateway.network().contract(CHAINCODE)
        check = await verify_run(opf, CONFIG.run_id)
        token = gateway.network().contract(TOKEN)
        accounts = [account_of(CONFIG.run_id, bus) for bus in range(SCENARIO.feeder.buses)]
        balances = {a: json.loads(await token.evaluate("balance", a)) for a in [*accounts, "grid"]}
    finally:
        await gateway.close()
    return {"check": check, "balances": balances, "transactions": await _transactions(clients)}


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OnChainRun, dict]]:
    folder = tmp_path_factory.mktemp("opf-whole")
    network_file = write_network(folder, orgs=2, peers_per_org=1)
    run_dir = folder / "run"
    try:
        outcome = run_on_chain(SCENARIO, CONFIG, network_file, run_dir, CONFIG.max_iterations, keep=True)
        seen = asyncio.run(_inspect(run_dir / "network"))
        seen["cli"] = CliRunner().invoke(app, ["opf", "verify", CONFIG.run_id, "--data-dir", str(run_dir / "network"),
                                               "--json"])
        yield outcome, seen
    finally:
        LocalNetwork(run_dir / "network").down()


def test_every_iteration_is_endorsed_alike_by_both_organisations(whole_run: tuple[OnChainRun, dict]) -> None:
    outcome, seen = whole_run
    assert outcome.rows[-1]["converged"] and len(outcome.rows) > 20
    first, second = seen["transactions"].values()
    assert first == second  # the same transactions, endorsements and validation codes on both peers
    closes = [row for row in first if row[0] == "close_iteration"]
    assert len(closes) == len(outcome.rows)
    assert all(row == ("close_iteration", ["Org1MSP", "Org2MSP"], block_pb2.VALID) for row in closes)
    copies = [row for row in first if row[0] == "submit_copy"]
    assert len(copies) == len(outcome.rows) * SCENARIO.feeder.buses
    assert all(row[1:] == (["Org1MSP", "Org2MSP"], block_pb2.VALID) for row in copies)


def test_the_run_verifies_from_the_ledger_and_the_settlement_balances(whole_run: tuple[OnChainRun, dict]) -> None:
    outcome, seen = whole_run
    check: RunCheck = seen["check"]
    assert check.ok, check.problems
    assert (check.iterations, check.converged, check.billing) == (len(outcome.rows), True, "settled")
    assert outcome.settlement is not None and sum(outcome.settlement["transfers"].values()) == 0
    assert sum(seen["balances"].values()) == 0 and seen["balances"]["grid"] > 0
    cli = seen["cli"]  # `gridledger opf verify` over the same network
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output) == {"run": CONFIG.run_id, "iterations": len(outcome.rows), "converged": True,
                                      "billing": "settled", "ok": True, "problems": []}
