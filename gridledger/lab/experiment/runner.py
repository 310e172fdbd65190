"""`gridledger experiment run`: start the network a spec names, deploy the token and market chaincode, register a
simulated community from a trace, run the market slot by slot with agents, and write island's CSVs.

Slots overlap as they do in a running market: slot n+1's bidding opens at its clock boundary while slot n is still
being cleared and settled. Everything the report needs is read back from the ledger (results, allocations,
settlements), so a run measures what the chain recorded, not what the agents believe they did.

The households' agents run inside the runner (`--agents inline`, the default) or in agent processes of their own
(`local:N` subprocesses, `docker:N` containers beside a network in containers; lab/agents/fleet.py): then the
runner keeps the operator's and auctioneer's roles, closes a phase once every process is done with it, and merges
their records into transactions.csv. `--docker` runs the network as a Compose project instead of local processes,
`--swarm` as a swarm stack (its agent containers join the stack's attachable overlay network).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from gridledger.common import msp
from gridledger.common.market.config import Clock, MarketConfig
from gridledger.common.material import load_member
from gridledger.lab.agents import progress as agent_steps
from gridledger.lab.agents.chainclock import BlockRecord, ChainClock, write_blocks_csv
from gridledger.lab.agents.fleet import IN_RUNNER, INLINE, AgentFleet, Launch, Placement, launch_agents
from gridledger.lab.agents.operator import ClockTicker, Operator
from gridledger.lab.agents.participants import Auctioneer, Meter, Prosumer
from gridledger.lab.agents.records import TxLog
from gridledger.lab.agents.sealing import OrderSealer, SlotKeys
from gridledger.lab.agents.strategies import strategy_named
from gridledger.lab.agents.submitter import BlockBackoff, Submitter
from gridledger.lab.experiment.slotdata import (
    SlotRow,
    failed_submissions,
    no_market_cost,
    slot_row,
    write_slots_csv,
)
from gridledger.lab.experiment.spec import ExperimentSpec, NetworkOverrides
from gridledger.lab.population import (
    AUCTIONEER,
    Household,
    IdentityIssuer,
    Member,
    build_households,
)
from gridledger.lab.traces import Trace, TraceError, load_trace
from gridledger.ops.deploy import NetworkClients, deploy
from gridledger.ops.docker import DockerNetwork
from gridledger.ops.docker.render import DEFAULT_IMAGE, IMAGE_VARIABLE
from gridledger.ops.docker.swarm import SwarmNetwork, stack_network
from gridledger.ops.docker.workers import project_network
from gridledger.ops.localnet import LocalNetwork
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.ops.verify import VerifyReport, verify_network
from gridledger.sdk import NO_RETRY, Contract, Gateway

CHAINCODE_ROOT = Path(__file__).resolve().parent.parent.parent / "chaincode"
MARKET = "market"
TOKEN = "token"
GRID_ACCOUNT = "grid"
REGISTRATION_CHUNK = 100
# Agents act as soon as the utility's peer committed a step; peers of other orgs may be a block behind, and their
# endorsement would refuse what they have not seen yet (a registration, a closed phase).
CATCH_UP_BLOCKS = 2

Progress = Callable[[str, int, int], None]  # (what, done, total)


def _chunks(items: list, size: int) -> list[list]:
    """Registration in transactions of at most `size` entries keeps each read/write set small."""
    return [items[first:first + size] for first in range(0, len(items), size)]


def derived_network(network_file: Path, overrides: NetworkOverrides, run_dir: Path) -> Path:
    """A spec's network file with its block settings overridden, written into the run directory."""
    network = load_network(network_file)
    replaced = {key: value for key, value in overrides.model_dump().items() if value is not None}
    batch = network.batch.model_copy(update=replaced)
    data = network.model_copy(update={"batch": batch}).model_dump(mode="json", exclude_none=True)
    path = run_dir / "network.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    load_network(path)  # the overrides must still make a valid network
    return path


def _start_or_stop(up: Callable[[], object], down: Callable[[], None]) -> None:
    """Start a run's network; if the start fails or is interrupted (Ctrl-C, SIGTERM), stop what it started, since
    the caller gets no network to stop."""
    try:
        up()
    except BaseException:
        down()
        raise


def start_fresh_network(network: Path, overrides: NetworkOverrides, run_dir: Path,
                        progress: Progress) -> tuple[LocalNetwork, Path]:
    """A run's network: the spec's definition with its overrides, started in run_dir/network from nothing (an
    earlier run's chain there is purged). Returns the network and the derived definition file."""
    network_file = derived_network(network, overrides, run_dir)
    local = LocalNetwork(run_dir / "network")
    local.down(purge=True)
    progress("starting the network", 0, 1)
    _start_or_stop(lambda: local.up(network_file, rest=False), local.down)
    progress("starting the network", 1, 1)
    return local, network_file


@dataclass(frozen=True)
class RunNetwork:
    """The network a market run uses: local processes, or a Compose project or swarm stack (`project`, whose nodes
    run `image` and whose agent containers join Docker network `agent_network`)."""

    definition: NetworkDefinition
    crypto_dir: Path
    stop: Callable[[], None]
    project: str | None = None
    image: str | None = None
    agent_network: str | None = None


LOCAL_NODES, COMPOSE_NODES, SWARM_NODES = "local processes", "containers", "swarm services"


def start_fresh_containers(network: Path, overrides: NetworkOverrides, run_dir: Path, project: str,
                           progress: Progress) -> RunNetwork:
    """A run's network as Compose project `project` from nothing: an earlier run's containers and volumes for
    run_dir/network are removed first, and the network's own at the end."""
    network_file = derived_network(network, overrides, run_dir)
    data_dir = run_dir / "network"
    containers = DockerNetwork(data_dir, project=project)
    if containers.layout.project_file.exists():
        containers.down(purge=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    progress("starting the network in containers", 0, 1)
    _start_or_stop(lambda: containers.up(network_file), lambda: containers.down(purge=True))
    progress("starting the network in containers", 1, 1)
    return RunNetwork(containers.definition(), containers.layout.crypto_dir, lambda: containers.down(purge=True),
                      project, os.environ.get(IMAGE_VARIABLE) or DEFAULT_IMAGE, project_network(project))


def start_fresh_stack(network: Path, overrides: NetworkOverrides, run_dir: Path, stack: str,
                      progress: Progress) -> RunNetwork:
    """A run's network as swarm stack `stack` from nothing (an earlier run's stack and this host's volumes of it
    are removed first), removed with its volumes at the end; agent containers join the channel's overlay network,
    which the stack file makes attachable."""
    network_file = derived_network(network, overrides, run_dir)
    data_dir = run_dir / "network"
    image = os.environ.get(IMAGE_VARIABLE) or DEFAULT_IMAGE
    services = SwarmNetwork(data_dir, stack=stack, image=image)
    if services.record_file.exists():
        services.down(purge=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    progress("deploying the network as a swarm stack", 0, 1)
    _start_or_stop(lambda: services.up(network_file), lambda: services.down(purge=True))
    progress("deploying the network as a swarm stack", 1, 1)
    definition = services.definition()
    return RunNetwork(definition, services.layout.crypto_dir, lambda: services.down(purge=True), stack, image,
                      stack_network(stack, definition.channel))


def select_trace(spec: ExperimentSpec) -> Trace:
    """The households and slots the spec asks for; TraceError says what is missing before any network starts."""
    trace = load_trace(spec.trace.path)
    last = trace.slots[-1] + 1
    count = spec.trace.slots or last - spec.trace.first_slot
    try:
        return trace.select(spec.trace.households, range(spec.trace.first_slot, spec.trace.first_slot + count))
    except ValueError as exc:
        raise TraceError(f"{spec.trace.path}: {exc}") from None


@dataclass
class Community:
    """Agents and their connections for one run."""

    prosumers: list[Prosumer] = field(default_factory=list)
    meters: list[Meter] = field(default_factory=list)
    auctioneer: Auctioneer | None = None
    gateways: list[Gateway] = field(default_factory=list)

    async def close(self) -> None:
        for gateway in self.gateways:
            await gateway.close()


class MarketSession:
    """One run's market on a running network: setup, slots, and reading the results back."""

    def __init__(self, spec: ExperimentSpec, network: NetworkDefinition, crypto_dir: Path, trace: Trace,
                 progress: Progress, placement: Placement = IN_RUNNER, agents_dir: Path | None = None,
                 run_network: RunNetwork | None = None) -> None:
        self.spec = spec
        self.network = network
        self.crypto_dir = crypto_dir
        self.trace = trace
        self.progress = progress
        self.placement = placement
        self.agents_dir = agents_dir
        self.run_network = run_network
        self.log = TxLog()
        self.rng = random.Random(spec.agents.seed)
        self.market_id = spec.market_id
        self.orgs = list(network.peer_msp_ids)
        self.utility = self.orgs[0]
        self._trusted = network.msp_ids
        self.blocks: list[BlockRecord] = []  # every block the run saw, once it is over

    # ----- connections -----

    async def _gateway(self, msp_id: str) -> Gateway:
        peer = NetworkClients(self.network, self.crypto_dir).first_peer(msp_id)
        material = load_member(self.crypto_dir, msp_id, "admin", self._trusted)
        return await Gateway.connect(peer.address, material.identity, material.tls, retry=NO_RETRY, timeout=120)

    def _contract(self, gateway: Gateway, member_identity, name: str = MARKET) -> Contract:
        return gateway.with_identity(member_identity).network(self.network.channel).contract(name)

    # ----- setup -----

    async def deploy_chaincode(self) -> None:
        clients = NetworkClients(self.network, self.crypto_dir)
        policy = self.network.policies.endorsement
        for name in (TOKEN, MARKET):
            self.progress(f"deploying {name}", 0, 1)
            await deploy(clients, name, CHAINCODE_ROOT / name, "1.0", policy)
            self.progress(f"deploying {name}", 1, 1)

    def market_config(self, start_height: int) -> dict:
        market = self.spec.market
        lo, hi = self.trace.prices(self.trace.slots[0])
        return {"market_id": self.market_id, "sealing": market.sealing, "data_model": market.data_model,
                "tie_rule": market.tie_rule, "lo": lo, "hi": hi, "token_chaincode": TOKEN,
                "clock": {"mode": "height", "start": start_height, "slot_length": market.slot_length_blocks,
                          "reveal_offset": market.reveal_offset_blocks}}

    async def setup(self, clock: ChainClock, admin: Contract, token: Contract, households: list[Household],
                    auctioneer: Member | None) -> Clock:
        """Token accounts, the market and its registry; returns the market's clock (its phase boundaries)."""
        await token.submit("set_settler", MARKET)
        accounts = {h.id: h.prosumer.fingerprint for h in households}
        accounts[GRID_ACCOUNT] = msp.fingerprint(token.network.gateway.identity.certificate)
        for chunk in _chunks(sorted(accounts.items()), REGISTRATION_CHUNK):
            await token.submit("open_accounts", json.dumps(dict(chunk)))
        config = self.market_config(clock.height + self.spec.market.start_margin_blocks)
        await admin.submit("create_market", json.dumps(config))
        await clock.wait_blocks(CATCH_UP_BLOCKS)
        members = [m.registration() for h in households for m in (h.prosumer, h.meter)]
        if auctioneer is not None:
            members.append(auctioneer.registration())
        for chunk in _chunks(members, REGISTRATION_CHUNK):
            await admin.submit("register", self.market_id, json.dumps(chunk))
        await clock.wait_blocks(CATCH_UP_BLOCKS)
        return MarketConfig.from_json(config).clock

    async def join(self, community: Community, households: list[Household], submitter: Submitter,
                   auctioneer: Member | None) -> None:
        """Connect the households' agents (one gateway per org, recorded in `community` as soon as it is open, so
        a failure half-way still closes what was opened)."""
        gateways = {}
        for org in self.orgs:
            gateways[org] = await self._gateway(org)
            community.gateways.append(gateways[org])
        strategy = strategy_named(self.spec.agents.strategy)
        reader = self._contract(gateways[self.utility], gateways[self.utility].identity)
        sealer = OrderSealer(self.spec.market.sealing, reader)
        for household in households:
            gateway = gateways[household.org]
            community.prosumers.append(Prosumer(
                household.id, self._contract(gateway, household.prosumer.identity), self.market_id, sealer,
                strategy, submitter, random.Random(self.rng.random())))
            community.meters.append(Meter(household.id, self._contract(gateway, household.meter.identity),
                                          self.market_id, submitter))
        if auctioneer is not None:
            gateway = gateways[auctioneer.identity.msp_id]
            community.auctioneer = Auctioneer(self._contract(gateway, auctioneer.identity), self.market_id,
                                              SlotKeys(), submitter)

    # ----- slots -----

    async def run_slot(self, slot: int, schedule: Clock, clock: ChainClock, operator: Operator,
                       community: Community, fleet: AgentFleet | None = None) -> None:
        """One slot's life, at the boundaries of the market's own clock (the chaincode refuses earlier steps);
        with agent processes (`fleet`), each phase closes once every process is done with it."""
        trace_slot = self.trace.slots[slot]
        lo, hi = self.trace.prices(trace_slot)
        can_bid = True
        if community.auctioneer is not None:
            can_bid = await community.auctioneer.publish(slot)  # without the slot key nobody can seal an order
            await clock.wait_blocks(CATCH_UP_BLOCKS)
        await clock.wait_for_height(schedule.opens(slot))
        if can_bid:
            await asyncio.gather(*(prosumer.bid(slot, *self.trace.reading(prosumer.household, trace_slot), lo, hi)
                                   for prosumer in community.prosumers))
        if fleet is not None:
            await fleet.reached(agent_steps.BID, slot)
        bids_closed = await operator.transition("close_bids", "closeBids", slot, schedule.bid_end(slot))
        await clock.wait_blocks(CATCH_UP_BLOCKS)
        if community.auctioneer is not None:
            await community.auctioneer.mark_end(slot)
        await asyncio.gather(*(prosumer.reveal(slot) for prosumer in community.prosumers),
                             *(meter.report(slot, *self.trace.reading(meter.household, trace_slot))
                               for meter in community.meters))
        if fleet is not None and bids_closed:  # agents reveal only once they see the bids closed
            await fleet.reached(agent_steps.REVEAL, slot)
        await operator.transition("close_reveals", "closeReveals", slot, schedule.reveal_end(slot))
        await operator.transition("clear", "clear", slot)
        await operator.transition("settle", "settle", slot, schedule.settle_from(slot))

    async def slot_row(self, operator: Operator, slot: int) -> SlotRow:
        """The slot as the ledger recorded it."""
        trace_slot = self.trace.slots[slot]
        state = json.loads(await operator.query("get_slot", self.market_id, slot))
        result = json.loads(await operator.query("get_result", self.market_id, slot))
        settlement = json.loads(await operator.query("get_settlement", self.market_id, slot)) \
            if state["phase"] == "settled" else None
        lo, hi = self.trace.prices(trace_slot)
        baseline = no_market_cost((self.trace.reading(h, trace_slot) for h in self.trace.households), lo, hi)
        return slot_row(slot, trace_slot, state, result, settlement, failed_submissions(self.log.records, slot),
                        baseline)

    async def _watch(self, interval: float = 0.5) -> None:
        """Report committed transactions as they go (the progress display's second bar)."""
        while True:
            valid = sum(1 for record in self.log.records if record.tx_status == "VALID")
            self.progress("transactions committed", valid, 0)
            await asyncio.sleep(interval)

    def launch_agents(self, households: list[Household]) -> AgentFleet:
        """The agent processes of `self.placement`, each with its slice of `households` (they wait for the market
        and their registration on the chain, so they start before the chaincode is deployed)."""
        spec = self.spec.model_copy(update={"trace": self.spec.trace.model_copy(update={"path": Path("trace.csv")})})
        launch = Launch(yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False), self.spec.trace.path,
                        households, self.network, self.crypto_dir, self.log.started_at)
        network = self.run_network or RunNetwork(self.network, self.crypto_dir, lambda: None)
        assert self.agents_dir is not None, "agent processes need a folder in the run directory"
        self.progress(f"starting agent processes ({self.placement})", 0, 1)
        fleet = launch_agents(self.placement, self.agents_dir, launch, project=network.project, image=network.image,
                              network=network.agent_network)
        self.progress(f"starting agent processes ({self.placement})", 1, 1)
        return fleet

    async def run(self) -> list[SlotRow]:
        """Deploy, set up and run every slot; return the slots as the ledger recorded them. Every connection and
        task this opens is closed or cancelled before it returns or raises, inside the event loop that made them
        (gRPC channels outliving their loop make grpc's poller fail with 'Event loop is closed'); agent processes
        are stopped."""
        households = build_households(self.crypto_dir, self.orgs, self.trace.households)
        auctioneer = None
        if self.spec.market.sealing == "auctioneer-key":
            issuer = IdentityIssuer(self.crypto_dir, self.orgs[-1])
            auctioneer = Member(issuer.issue("auctioneer"), AUCTIONEER)
        fleet = None if self.placement.where == INLINE else self.launch_agents(households)
        community = Community()
        tasks: list[asyncio.Task] = []
        admin_gateway = None
        try:
            await self.deploy_chaincode()
            admin_gateway = await self._gateway(self.utility)
            admin = self._contract(admin_gateway, admin_gateway.identity)
            token = self._contract(admin_gateway, admin_gateway.identity, TOKEN)
            clock = ChainClock(admin_gateway.network(self.network.channel))
            tasks.append(asyncio.create_task(clock.run()))
            submitter = Submitter(clock, self.log, BlockBackoff(self.spec.agents.alpha, self.spec.agents.retries),
                                  self.rng)
            await self.join(community, households if fleet is None else [], submitter, auctioneer)
            ticker = ClockTicker(admin, self.spec.agents.clock_interval_ms / 1000)
            tasks += [asyncio.create_task(ticker.run()), asyncio.create_task(self._watch())]
            await clock.wait_for_height(1)
            self.progress("creating the market and registering the community", 0, 1)
            schedule = await self.setup(clock, admin, token, households, auctioneer)
            self.progress("creating the market and registering the community", 1, 1)
            operator = Operator(admin, self.market_id, clock, submitter)
            slots = range(len(self.trace.slots))
            running = [asyncio.create_task(self.run_slot(slot, schedule, clock, operator, community, fleet))
                       for slot in slots]
            tasks += running
            for done, finished in enumerate(asyncio.as_completed(running), start=1):
                await finished
                self.progress("slots settled", done, len(running))
            if fleet is not None:
                self.log.records = sorted([*self.log.records, *await fleet.finish()], key=lambda r: r.submitted_s)
            rows = [await self.slot_row(operator, slot) for slot in slots]
            self.blocks = clock.blocks  # the records only: the clock holds a connection
            return rows
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await community.close()
            if admin_gateway is not None:
                await admin_gateway.close()
            if fleet is not None:
                fleet.stop()

    async def run_and_verify(self, clients: NetworkClients) -> tuple[list[SlotRow], VerifyReport]:
        """The run and then the ledger check on every peer, in one event loop."""
        rows = await self.run()
        self.progress("verifying the ledger on every peer", 0, 1)
        verified = await verify_network(clients)
        self.progress("verifying the ledger on every peer", 1, 1)
        return rows, verified


def compose_project(spec: ExperimentSpec) -> str:
    """The Compose project or swarm stack of a run in containers (one per experiment name; `network up` has its own)."""
    return "gridledger-exp-" + "".join(c if c.isalnum() else "-" for c in spec.name.lower())


class PlacementError(ValueError):
    """Agent processes a run cannot have (checked before anything starts)."""


def check_placement(placement: Placement, nodes: str, households: int) -> None:
    """Refuse, before anything starts, agent processes the run cannot have; PlacementError says why."""
    if placement.where == "docker" and nodes == LOCAL_NODES:
        raise PlacementError(f"--agents {placement}: agent containers reach the nodes on the network's own Docker "
                             "network, so the network must run in containers too (add --docker or --swarm)")
    if placement.count > households:
        raise PlacementError(f"--agents {placement}: {placement.count} agent processes for {households} households; "
                         "each process needs at least one household")


def run_experiment(spec: ExperimentSpec, out_dir: Path, progress: Progress, *, keep_network: bool = False,
                   agents: Placement = IN_RUNNER, nodes: str = LOCAL_NODES) -> Path:
    """Run `spec` on a fresh network (`nodes`: local processes, a Compose project or a swarm stack) under
    out_dir/<name>/, its agents placed as `agents` says, and return that run directory. A network in containers is
    always removed at the end (`keep_network` keeps local networks only)."""
    trace = select_trace(spec)
    check_placement(agents, nodes, len(trace.households))
    run_dir = out_dir / spec.name
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if nodes != LOCAL_NODES:
        start = start_fresh_containers if nodes == COMPOSE_NODES else start_fresh_stack
        used = start(spec.network, spec.overrides, run_dir, compose_project(spec), progress)
        network_file = run_dir / "network.yaml"
    else:
        local, network_file = start_fresh_network(spec.network, spec.overrides, run_dir, progress)
        used = RunNetwork(local.definition(), local.crypto_dir, (lambda: None) if keep_network else local.down)
    try:
        session = MarketSession(spec, used.definition, used.crypto_dir, trace, progress, agents, run_dir / "agents",
                                used)
        rows, verified = asyncio.run(session.run_and_verify(NetworkClients(used.definition, used.crypto_dir)))
    finally:
        used.stop()
    session.log.write_csv(run_dir / "transactions.csv")
    write_blocks_csv(session.blocks, run_dir / "blocks.csv")
    write_slots_csv(rows, run_dir / "slots.csv")
    summary = {"name": spec.name, "configuration": spec.configuration, "sealing": spec.market.sealing,
               "data_model": spec.market.data_model, "tie_rule": spec.market.tie_rule,
               "strategy": spec.agents.strategy, "network": str(spec.network),
               "batch": load_network(network_file).batch.model_dump(),
               "households": len(trace.households), "slots": len(trace.slots),
               "slot_length_blocks": spec.market.slot_length_blocks,
               "reveal_offset_blocks": spec.market.reveal_offset_blocks,
               "alpha": spec.agents.alpha, "retries": spec.agents.retries, "market_id": session.market_id,
               "agents": str(agents), "nodes": nodes,
               "ledger_verify": "ok" if verified.ok else "; ".join(verified.problems),
               "wall_time_s": round(time.perf_counter() - started, 2)}
    (run_dir / "spec.json").write_text(json.dumps(summary, indent=2))
    return run_dir
