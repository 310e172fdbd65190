"""ADMM through the ledger: a fresh local network, the OPF and token chaincodes deployed, one issued identity per
bus (alternating between the peer orgs), and per iteration every agent reads its target, solves, and submits its
copy, then the operator closes (lab/opf/ledger_run.py). Measures the seconds of each part per iteration; the run
is the chaincode's, so the final state on the ledger is what `common/opf.step` computed on every endorser. A run
that converges within the iterations allowed is billed: one meter identity per bus reports its schedule off by up
to +-METER_SPREAD, and the operator settles through the token chaincode.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.material import load_member
from gridledger.common.opf import AdmmConfig, Layout, Scenario
from gridledger.common.opf.billing import BillingConfig
from gridledger.common.opf.codec import feeder_to_json
from gridledger.lab.experiment.runner import CHAINCODE_ROOT, start_fresh_network
from gridledger.lab.experiment.spec import NetworkOverrides
from gridledger.lab.opf.agent import LocalSolver
from gridledger.lab.opf.ledger_run import bill_run, iterate
from gridledger.lab.population import IdentityIssuer
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.sdk import Gateway

CHAINCODE = "opf"
TOKEN = "token"
METER_SPREAD = 0.05  # simulated meters read the schedule +-5% per step
METER_SEED = 19


@dataclass
class OnChainRun:
    rows: list[dict]  # one per iteration: seconds per phase and the close's residuals
    settlement: dict | None = None  # the bill, if the run converged and was billed


async def _run(network: NetworkDefinition, crypto_dir: Path, scenario: Scenario, config: AdmmConfig,
               iterations: int, billing: BillingConfig) -> OnChainRun:
    clients = NetworkClients(network, crypto_dir)
    for name in (CHAINCODE, TOKEN):
        await deploy(clients, name, CHAINCODE_ROOT / name, "1.0", network.policies.endorsement)
    orgs = list(network.peer_msp_ids)
    gateways = {}
    for org in orgs:
        admin = load_member(crypto_dir, org, "admin", network.msp_ids)
        gateways[org] = await Gateway.connect(clients.first_peer(org).address, admin.identity, admin.tls,
                                              timeout=120)
    try:
        feeder, channel = scenario.feeder, network.channel
        operator = gateways[orgs[0]].network(channel).contract(CHAINCODE)
        await operator.submit("create_run", config.to_dict(), feeder_to_json(feeder), scenario.steps)
        issuers = [IdentityIssuer(crypto_dir, org) for org in orgs]
        identities = [issuers[bus % len(orgs)].issue(f"bus{bus}") for bus in range(feeder.buses)]
        await operator.submit("register", config.run_id, [
            {"bus": bus, "fingerprint": msp.fingerprint(identity.certificate)}
            for bus, identity in enumerate(identities)])
        agents = [gateways[i.msp_id].with_identity(i).network(channel).contract(CHAINCODE) for i in identities]
        layout = Layout.of(feeder, scenario.steps)
        solvers = [LocalSolver(scenario, layout, bus, config.rho) for bus in range(feeder.buses)]
        run = OnChainRun(await iterate(operator, agents, solvers, config.run_id, iterations))
        if run.rows[-1]["converged"]:
            await gateways[orgs[0]].network(channel).contract(TOKEN).submit("set_settler", CHAINCODE)
            meter_ids = [issuers[bus % len(orgs)].issue(f"meter{bus}") for bus in range(feeder.buses)]
            meters = {bus: gateways[i.msp_id].with_identity(i).network(channel).contract(CHAINCODE)
                      for bus, i in enumerate(meter_ids)}
            run.settlement = await bill_run(operator, meters, {bus: msp.fingerprint(i.certificate)
                                                               for bus, i in enumerate(meter_ids)},
                                            config.run_id, billing, METER_SPREAD, METER_SEED)
        return run
    finally:
        for gateway in gateways.values():
            await gateway.close()


def run_on_chain(scenario: Scenario, config: AdmmConfig, network: Path, run_dir: Path, iterations: int,
                 overrides: NetworkOverrides | None = None, billing: BillingConfig | None = None,
                 keep: bool = False) -> OnChainRun:
    """Up to `iterations` ADMM iterations through a fresh network from `network` (in run_dir/network) with the
    block settings of `overrides`, billed if converged; the network is stopped afterwards unless `keep`."""
    run_dir.mkdir(parents=True, exist_ok=True)
    local, _ = start_fresh_network(network, overrides or NetworkOverrides(), run_dir, lambda *_: None)
    try:
        return asyncio.run(_run(local.definition(), local.crypto_dir, scenario, config, iterations,
                                billing or BillingConfig()))
    finally:
        if not keep:
            local.down()
