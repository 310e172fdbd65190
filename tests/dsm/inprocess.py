"""The DSM and token contracts on the in-process ledger of tests/market/world.py, behind the same async
interface the agents use on a real network, so the day coordinator and house agents run unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gridledger.chaincode import Creator
from gridledger.chaincode.dsm import DsmContract
from gridledger.chaincode.token import TokenContract
from gridledger.common.dsm.config import DsmConfig
from gridledger.common.dsm.steering import House
from gridledger.lab.dsm.coordinator import DayCoordinator
from gridledger.lab.dsm.houses import HouseAgent
from gridledger.lab.dsm.ledger import Ledger
from gridledger.sdk import ChaincodeError
from tests.market.world import World, identity

OPERATOR = identity("operator", "admin")


@dataclass(frozen=True)
class Committed:
    payload: bytes


@dataclass
class WorldContract:
    world: World
    creator: Creator
    name: str = "dsm"

    async def submit(self, function: str, *args: Any) -> Committed:
        response = self.world.call(self.creator, self.name, function, *args)
        if not response.ok:
            raise ChaincodeError(response.status, response.message)
        self.world.height += 1  # one block per transaction: the tip hash moves as on a peer
        return Committed(response.payload)

    async def evaluate(self, function: str, *args: Any) -> bytes:
        return (await self.submit(function, *args)).payload


def house_identity(house: str) -> Creator:
    return identity(f"house-{house}")


def meter_identity(house: str) -> Creator:
    return identity(f"meter-{house}")


@dataclass
class Neighbourhood:
    world: World
    config: DsmConfig
    houses: list[HouseAgent]
    coordinator: DayCoordinator


def dsm_world() -> World:
    world = World({"dsm": DsmContract(), "token": TokenContract()})
    world.ok(OPERATOR, "token", "set_settler", "dsm")
    return world


async def neighbourhood(world: World, homes: list[House], **config: Any) -> Neighbourhood:
    """A neighbourhood created, every house and meter registered, every house joined."""
    parsed = DsmConfig.from_json({"neighbourhood_id": "nb", **config})
    nb = parsed.neighbourhood_id
    operator = Ledger(WorldContract(world, OPERATOR))
    usage = operator.usage
    await operator.submit("create_neighbourhood", parsed.to_json())
    members = [{"fingerprint": who(home.house_id).fingerprint, "role": role, "house": home.house_id}
               for home in homes for who, role in ((house_identity, "house"), (meter_identity, "meter"))]
    await operator.submit("register", nb, members)
    agents = [HouseAgent(home.house_id, home.battery, Ledger(WorldContract(world, house_identity(home.house_id)),
                                                             usage=usage), nb) for home in homes]
    for agent in agents:
        await agent.join()
    return Neighbourhood(world, parsed, agents, DayCoordinator(operator, parsed, agents, usage, window_s=0.2))
