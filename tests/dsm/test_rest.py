"""The DSM endpoints over the real DSM contract on the in-process ledger: a house reads its plan, stake and
penalty; the operator opens a day; malformed requests are 422 before anything reaches the ledger; the contract's
refusals become DSM problem types."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gridledger.chaincode import Creator
from gridledger.sdk import RetryPolicy, SubmitResult, errors
from gridledger.services.rest import dsm_routes, problems
from gridledger.services.rest.deps import authenticated, get_backend
from gridledger.services.rest.users import User
from gridledger.v1 import block_pb2
from tests.dsm.inprocess import OPERATOR, dsm_world, house_identity, meter_identity, neighbourhood
from tests.dsm.neighbourhood import houses
from tests.market.world import World

HOMES = houses(4, seed=2)


@dataclass
class WorldView:
    """A channel view of the in-process ledger as one identity: what the routes use of an SDK Network."""

    world: World
    creator: Creator
    calls: list[str]

    def contract(self, name: str) -> WorldView:
        self.name = name
        return self

    async def submit(self, function: str, *args: str, **_: Any) -> SubmitResult:
        self.calls.append(function)
        response = self.world.call(self.creator, self.name, function, *args)
        if not response.ok:
            raise errors.ChaincodeError(response.status, response.message)
        self.world.height += 1
        return SubmitResult(tx_id="ab" * 32, block=self.world.height, code=block_pb2.VALID, payload=response.payload)

    async def evaluate(self, function: str, *args: str, **_: Any) -> bytes:
        return (await self.submit(function, *args)).payload


class WorldBackend:
    retry = RetryPolicy()

    def __init__(self, world: World, user: Creator) -> None:
        self.calls: list[str] = []
        self.network = WorldView(world, OPERATOR, self.calls)  # the service's identity: the org admin
        self._user = WorldView(world, user, self.calls)

    async def network_for(self, user: User) -> WorldView:
        return self._user


@pytest.fixture(scope="module")
def planned() -> World:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, penalty_per_kwh=100))
    asyncio.run(hood.coordinator.run(0, {home.house_id: home.base for home in HOMES}))
    return world


def _client(world: World, scopes: tuple[str, ...]) -> tuple[TestClient, WorldBackend]:
    app = FastAPI()
    problems.install(app)
    app.include_router(dsm_routes.router)
    backend = WorldBackend(world, house_identity(HOMES[0].house_id))
    user = User("house", "Org1MSP", scopes, None, True, dt.datetime.now(dt.UTC).isoformat())
    app.dependency_overrides[get_backend] = lambda: backend
    app.dependency_overrides[authenticated] = lambda: user
    return TestClient(app), backend


@pytest.fixture
def house(planned: World) -> Iterator[tuple[TestClient, WorldBackend]]:
    client, backend = _client(planned, ("evaluate",))
    with client:
        yield client, backend


def test_a_house_reads_its_plan_stake_and_penalty(planned: World, house: tuple[TestClient, WorldBackend]) -> None:
    http, _ = house
    me = HOMES[0].house_id
    day = http.get("/v1/dsm/nb/days/0")
    assert day.status_code == 200 and day.json()["status"] == "planned"
    plan = http.get(f"/v1/dsm/nb/days/0/plans/{me}").json()
    assert plan["profile_w"] == planned.ok(OPERATOR, "dsm", "get_plan", "nb", 0, me) and len(plan["profile_w"]) == 96
    stake = http.get(f"/v1/dsm/nb/houses/{me}/stake").json()
    assert stake["initial_stake_wh"] == HOMES[0].battery.capacity_wh and stake["stake_milli"] >= 0
    missing = http.get(f"/v1/dsm/nb/days/0/penalties/{me}")
    assert missing.status_code == 404 and missing.json()["type"] == "urn:gridledger:problem:dsm-not-found"
    planned.ok(meter_identity(me), "dsm", "submit_reading", "nb", 0, me, [plan["profile_w"][0] + 4000,
                                                                           *plan["profile_w"][1:]])
    assert http.get(f"/v1/dsm/nb/days/0/penalties/{me}").json() == {"house": me, "deviation_wh": 1000,
                                                                     "penalty": 100}
    assert http.get("/v1/dsm/nb").json()["config"]["penalty_per_kwh"] == 100


def test_only_the_operator_opens_a_day_and_a_day_opens_once(planned: World) -> None:
    client, backend = _client(planned, ("evaluate", "admin"))
    with client as operator:
        opened = operator.post("/v1/dsm/nb/days", json={"day": 1})
        assert opened.status_code == 201, opened.text
        assert opened.json()["status"] == "open" and len(opened.json()["houses"]) == 4
        again = operator.post("/v1/dsm/nb/days", json={"day": 1})
        assert again.status_code == 409 and again.json()["type"] == "urn:gridledger:problem:dsm-conflict"
    client, _ = _client(planned, ("evaluate",))
    with client as reader:
        assert reader.post("/v1/dsm/nb/days", json={"day": 2}).status_code == 403
    assert backend.calls.count("open_day") == 2


@pytest.mark.parametrize(("method", "path", "body", "location"), [
    ("get", "/v1/dsm/nb/days/-1", None, "path.day"),
    ("get", "/v1/dsm/n%20b/days/0", None, "path.neighbourhood"),
    ("get", "/v1/dsm/nb/days/0/plans/h%201", None, "path.house"),
    ("post", "/v1/dsm/nb/days", {"day": "1"}, "body.day"),
    ("post", "/v1/dsm/nb/days", {"day": 1, "houses": []}, "body.houses"),
    ("post", "/v1/dsm/nb/days", {"day": 10**7}, "body.day"),
])
def test_malformed_requests_are_422_and_never_reach_the_ledger(planned: World, method: str, path: str,
                                                               body: dict | None, location: str) -> None:
    client, backend = _client(planned, ("evaluate", "admin"))
    with client as http:
        response = http.request(method, path, json=body)
    assert response.status_code == 422, response.text
    assert location in [error["location"] for error in response.json()["errors"]]
    assert backend.calls == []
