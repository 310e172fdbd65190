"""`gridledger experiment run deploy/experiments/dsm-*.yaml`: start the network, deploy the token and DSM
chaincode, give every house a house identity and a meter identity, create one neighbourhood per method, and plan
each day of the trace central, by method 1 and by method 2, checking that all three plan the same bytes.

Every number in the CSVs is read back from the ledger's day records, except the central reference and the
seconds, which the runner measures around each step.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import msp
from gridledger.common.dsm.battery import PRESETS, SCENARIOS
from gridledger.common.dsm.config import DsmConfig
from gridledger.common.dsm.steering import House, Profile, SteeringConfig, aggregate_of, steer
from gridledger.common.material import load_member
from gridledger.lab.dsm.coordinator import DayCoordinator, DayTiming
from gridledger.lab.dsm.houses import HouseAgent
from gridledger.lab.dsm.ledger import Ledger, Usage
from gridledger.lab.dsm.results import CENTRAL, DayRow, HouseRow, ProfileRow, norm, peak, write_rows
from gridledger.lab.dsm.spec import DsmExperimentSpec
from gridledger.lab.experiment.runner import start_fresh_network
from gridledger.lab.population import IdentityIssuer
from gridledger.lab.traces import Trace, TraceError, load_trace
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.ops.verify import verify_network
from gridledger.sdk import Gateway

CHAINCODE_ROOT = Path(__file__).resolve().parent.parent.parent / "chaincode"
DSM = "dsm"
TOKEN = "token"
SLOTS = 96
Progress = Callable[[str, int, int], None]


def day_bases(trace: Trace, houses: list[str], day: int) -> dict[str, Profile]:
    """Each house's base load on `day` (W per slot: consumption minus PV, from the trace's Wh per 15 minutes)."""
    slots = trace.slots[day * SLOTS:(day + 1) * SLOTS]
    return {house: tuple(4 * (use - gen) for use, gen in (trace.reading(house, slot) for slot in slots))
            for house in houses}


def select_days(spec: DsmExperimentSpec) -> tuple[Trace, list[str], range]:
    """The trace, the houses and the days the spec asks for; TraceError says what is missing."""
    trace = load_trace(spec.trace.path)
    if len(trace.slots) % SLOTS:
        raise TraceError(f"{spec.trace.path}: {len(trace.slots)} slots is not a whole number of days of {SLOTS}")
    available = len(trace.slots) // SLOTS
    count = spec.trace.days or available - spec.trace.first_day
    if spec.trace.first_day + count > available:
        raise TraceError(f"{spec.trace.path} has {available} days; the spec asks for days "
                         f"{spec.trace.first_day}..{spec.trace.first_day + count - 1}")
    if spec.trace.houses > len(trace.households):
        raise TraceError(f"{spec.trace.path} has {len(trace.households)} households; the spec asks for "
                         f"{spec.trace.houses}")
    return trace, trace.households[:spec.trace.houses], range(spec.trace.first_day, spec.trace.first_day + count)


def battery_names(scenario: str, count: int) -> list[str]:
    """The scenario's products, house by house: scenario 2's five groups scale with the neighbourhood."""
    products = SCENARIOS[scenario]
    return [products[index * len(products) // count] for index in range(count)]


@dataclass
class Neighbourhood:
    method: str
    config: DsmConfig
    coordinator: DayCoordinator


class DsmSession:
    """One run on a running network: setup, every day by every method, and the rows."""

    def __init__(self, spec: DsmExperimentSpec, network: NetworkDefinition, crypto_dir: Path, trace: Trace,
                 houses: list[str], days: range, progress: Progress) -> None:
        self.spec, self.network, self.crypto_dir = spec, network, crypto_dir
        self.trace, self.houses, self.days, self.progress = trace, houses, days, progress
        self.orgs = list(network.peer_msp_ids)
        self.batteries = battery_names(spec.scenario, len(houses))
        self.day_rows: list[DayRow] = []
        self.house_rows: list[HouseRow] = []
        self.profile_rows: list[ProfileRow] = []
        self.gateways: list[Gateway] = []

    async def _gateway(self, msp_id: str) -> Gateway:
        peer = NetworkClients(self.network, self.crypto_dir).first_peer(msp_id)
        material = load_member(self.crypto_dir, msp_id, "admin", self.network.msp_ids)
        gateway = await Gateway.connect(peer.address, material.identity, material.tls, timeout=120)
        self.gateways.append(gateway)
        return gateway

    def config_for(self, method: str) -> DsmConfig:
        spec = self.spec
        return DsmConfig.from_json({
            "neighbourhood_id": f"{spec.name.replace('.', '-')}-{method}"[:64], "method": method,
            "epsilon_mw": spec.epsilon_mw, "max_iterations": spec.max_iterations, "reward_case": spec.reward_case,
            "coordination": spec.coordination, "pow_target_bits": spec.pow_target_bits,
            "token_chaincode": TOKEN})

    async def setup(self) -> list[Neighbourhood]:
        """Deploy, create a neighbourhood per method, register every house and meter, and let the houses join."""
        clients = NetworkClients(self.network, self.crypto_dir)
        for name in (TOKEN, DSM):
            self.progress(f"deploying {name}", 0, 1)
            await deploy(clients, name, CHAINCODE_ROOT / name, "1.0", self.network.policies.endorsement)
            self.progress(f"deploying {name}", 1, 1)
        gateways = {org: await self._gateway(org) for org in self.orgs}
        operator_gateway = gateways[self.orgs[0]]
        channel = self.network.channel
        await operator_gateway.network(channel).contract(TOKEN).submit("set_settler", DSM)
        issuers = [IdentityIssuer(self.crypto_dir, org) for org in self.orgs]
        identities = []
        for index, house in enumerate(self.houses):
            issuer = issuers[index % len(issuers)]
            identities.append((issuer.issue(f"house-{house}"), issuer.issue(f"meter-{house}")))
        hoods = []
        for method in self.spec.methods:
            config = self.config_for(method)
            usage = Usage()
            operator = Ledger(operator_gateway.network(channel).contract(DSM), usage)
            await operator.submit("create_neighbourhood", config.to_json())
            members = [{"fingerprint": msp.fingerprint(identity.certificate), "role": role, "house": house}
                       for house, pair in zip(self.houses, identities, strict=True)
                       for identity, role in zip(pair, ("house", "meter"), strict=True)]
            await operator.submit("register", config.neighbourhood_id, members, catch_up=True)
            agents = []
            for house, battery, (identity, _) in zip(self.houses, self.batteries, identities, strict=True):
                gateway = gateways[identity.msp_id].with_identity(identity)
                agents.append(HouseAgent(house, PRESETS[battery],
                                         Ledger(gateway.network(channel).contract(DSM), usage),
                                         config.neighbourhood_id))
            self.progress(f"{method}: houses joining", 0, len(agents))
            await asyncio.gather(*(agent.ledger.submit("join", config.neighbourhood_id, agent.battery.to_json(),
                                                       catch_up=True) for agent in agents))
            self.progress(f"{method}: houses joining", len(agents), len(agents))
            hoods.append(Neighbourhood(method, config, DayCoordinator(operator, config, agents, usage,
                                                                      self.spec.agents.window_s)))
        return hoods

    def delays(self) -> dict[str, float]:
        """Proof of work's attempt delay per house: the spec's groups in house order (thesis: groups of five)."""
        delays = self.spec.agents.attempt_delays_s
        if not delays:
            return {}
        return {house: delays[index * len(delays) // len(self.houses)] for index, house in enumerate(self.houses)}

    async def run(self) -> None:
        try:
            hoods = await self.setup()
            for done, day in enumerate(self.days):
                await self.plan_day(day, hoods)
                self.progress("days planned", done + 1, len(self.days))
        finally:
            for gateway in self.gateways:
                await gateway.close()

    async def plan_day(self, day: int, hoods: list[Neighbourhood]) -> None:
        bases = day_bases(self.trace, self.houses, day)
        homes = [House(house, bases[house], PRESETS[battery]) for house, battery in zip(self.houses, self.batteries,
                                                                                         strict=True)]
        steering = SteeringConfig(self.spec.epsilon_mw, self.spec.max_iterations)
        started = time.perf_counter()
        central = steer(homes, steering)
        elapsed = time.perf_counter() - started
        base = aggregate_of(list(bases.values()))
        self.day_rows.append(DayRow(day, CENTRAL, len(homes), 0.0, 0.0, round(elapsed, 4), round(elapsed, 4), 0,
                                    central.iteration, peak(base), peak(central.aggregate), norm(base),
                                    norm(central.aggregate), True, "", 0, 0, 0, 0))
        self.profile_rows += [ProfileRow(day, slot, before, after)
                              for slot, (before, after) in enumerate(zip(base, central.aggregate, strict=True))]
        for hood in hoods:
            record, timing = await hood.coordinator.run(day, bases, self.delays(), self.spec.agents.seed)
            operator = hood.coordinator.operator
            nb = hood.config.neighbourhood_id
            plans = [tuple(await operator.evaluate("get_plan", nb, day, house)) for house in record["planners"]]
            identical = record["planners"] == self.houses and plans == list(central.profiles)
            stakes = {house: (await operator.evaluate("get_stake", nb, house))["stake_milli"]
                      for house in self.houses}
            self.day_rows.append(self._row(day, hood.method, record, timing, base, identical))
            for house, battery in zip(self.houses, self.batteries, strict=True):
                wins = [gain for who, gain in zip(record["winners"], record["improvements_mw"], strict=True)
                        if who == house]
                self.house_rows.append(HouseRow(day, hood.method, house, battery, len(wins), sum(wins),
                                                stakes[house]))

    @staticmethod
    def _row(day: int, method: str, record: dict, timing: DayTiming, base: Profile, identical: bool) -> DayRow:
        aggregate = tuple(record["aggregate"])
        return DayRow(day, method, len(record["planners"]), round(timing.setup_s, 4), round(timing.consensus_s, 4),
                      round(timing.iterations_s, 4), round(timing.total_s, 4), timing.transactions,
                      record["iteration"], peak(base), peak(aggregate), norm(base), norm(aggregate), identical,
                      record["forger"], record["reward_milli"], record["stake_value_milli"], timing.pow_attempts,
                      sum(record["skipped"].values()))


def run_dsm_experiment(spec: DsmExperimentSpec, out_dir: Path, progress: Progress, *,
                       keep_network: bool = False) -> Path:
    """Run `spec` on a fresh local network under out_dir/<name>/ and return that run directory."""
    run_dir = out_dir / spec.name
    run_dir.mkdir(parents=True, exist_ok=True)
    trace, houses, days = select_days(spec)
    started = time.perf_counter()
    local, network_file = start_fresh_network(spec.network, spec.overrides, run_dir, progress)
    try:
        session = DsmSession(spec, local.definition(), local.crypto_dir, trace, houses, days, progress)

        async def run_and_verify():
            await session.run()
            return await verify_network(NetworkClients(local.definition(), local.crypto_dir))

        verified = asyncio.run(run_and_verify())
    finally:
        if not keep_network:
            local.down()
    write_rows(run_dir / "days.csv", session.day_rows)
    write_rows(run_dir / "houses.csv", session.house_rows)
    write_rows(run_dir / "profiles.csv", session.profile_rows)
    summary = {"kind": "dsm", "name": spec.name, "scenario": spec.scenario, "methods": list(spec.methods),
               "coordination": spec.coordination, "reward_case": spec.reward_case,
               "epsilon_mw": spec.epsilon_mw, "max_iterations": spec.max_iterations,
               "network": str(spec.network), "batch": load_network(network_file).batch.model_dump(),
               "houses": len(houses), "days": list(days), "trace": str(spec.trace.path),
               "neighbourhoods": {method: session.config_for(method).neighbourhood_id for method in spec.methods},
               "attempt_delays_s": session.delays(),
               "identical_plans": all(row.identical_to_central for row in session.day_rows),
               "ledger_verify": "ok" if verified.ok else "; ".join(verified.problems),
               "wall_time_s": round(time.perf_counter() - started, 2)}
    (run_dir / "spec.json").write_text(json.dumps(summary, indent=2))
    return run_dir
