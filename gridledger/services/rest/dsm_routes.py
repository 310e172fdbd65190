"""The demand-side management endpoints (docs/dsm.md, "REST"): a house reads its plan, its stake and its penalties;
the operator opens a planning day. Each is one call of the DSM chaincode through gridledger.services.rest
.contract_calls, so retries, identities and problem documents are those of the generic routes.

The steps of a day itself (base loads, initial plans, offers, reveals, plan_day, select) are made by the house
agents and the coordinator with the SDK (gridledger.lab.dsm), or through the generic /v1/chaincodes/dsm routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from gridledger.services.rest.contract_calls import ContractCalls
from gridledger.services.rest.deps import require
from gridledger.services.rest.dsm_models import (
    DayNumber,
    DayResponse,
    HouseId,
    NeighbourhoodId,
    NeighbourhoodResponse,
    OpenDayBody,
    PenaltyResponse,
    PlanResponse,
    StakeResponse,
)
from gridledger.services.rest.links import follow
from gridledger.services.rest.routes import PROBLEMS, Backend
from gridledger.services.rest.users import User

DSM_CHAINCODE = "dsm"

Reader = Annotated[User, Depends(require("evaluate"))]
Operator = Annotated[User, Depends(require("admin"))]

router = APIRouter(prefix="/v1/dsm", tags=["demand-side management"], responses=PROBLEMS)  # type: ignore[arg-type]
_calls = ContractCalls({
    400: ("dsm-bad-request", "The DSM contract rejected the request"),
    403: ("dsm-forbidden", "Not allowed by your role in the neighbourhood"),
    404: ("dsm-not-found", "Unknown neighbourhood, day, house or record"),
    409: ("dsm-conflict", "Not allowed in the day's current state"),
})


@router.get("/{neighbourhood}", response_model=NeighbourhoodResponse)
async def get_neighbourhood(neighbourhood: NeighbourhoodId, backend: Backend, user: Reader) -> Any:
    """A neighbourhood's Profile Steering parameters and its operator."""
    return await _calls.evaluate(backend, user, DSM_CHAINCODE, "get_neighbourhood", neighbourhood)


@router.post("/{neighbourhood}/days", response_model=DayResponse, status_code=201,
             tags=["demand-side management: operator"],
             responses=follow(201, day=("get", "/v1/dsm/{neighbourhood}/days/{day}",
                                        {"neighbourhood": "$request.path.neighbourhood",
                                         "day": "$response.body#/number"})))
async def open_day(neighbourhood: NeighbourhoodId, body: OpenDayBody, backend: Backend, user: Operator) -> Any:
    """(Admin right, the operator's organisation) Open a planning day for every house that has joined; signed by
    the organisation's admin, the neighbourhood's operator. 409 if the day is open already."""
    await _calls.as_org_admin(backend, DSM_CHAINCODE, "open_day", neighbourhood, body.day)
    return await _calls.as_org_admin(backend, DSM_CHAINCODE, "get_day", neighbourhood, body.day, evaluate=True)


@router.get("/{neighbourhood}/days/{day}", response_model=DayResponse)
async def get_day(neighbourhood: NeighbourhoodId, day: DayNumber, backend: Backend, user: Reader) -> Any:
    """A planning day: its status, who takes part, the aggregate profile, every accepted move, the forger and
    the neighbourhood's stake value."""
    return await _calls.evaluate(backend, user, DSM_CHAINCODE, "get_day", neighbourhood, day)


@router.get("/{neighbourhood}/days/{day}/plans/{house}", response_model=PlanResponse)
async def get_plan(neighbourhood: NeighbourhoodId, day: DayNumber, house: HouseId, backend: Backend,
                   user: Reader) -> PlanResponse:
    """A house's profile for the day: its plan once the day is planned (method 2: the last accepted candidate
    while the day is iterating)."""
    profile = await _calls.evaluate(backend, user, DSM_CHAINCODE, "get_plan", neighbourhood, day, house)
    return PlanResponse(neighbourhood_id=neighbourhood, day=day, house=house, profile_w=profile)


@router.get("/{neighbourhood}/houses/{house}/stake", response_model=StakeResponse)
async def get_stake(neighbourhood: NeighbourhoodId, house: HouseId, backend: Backend, user: Reader) -> Any:
    """A house's stake: the battery capacity it joined with, plus every reward it earned forging days."""
    return await _calls.evaluate(backend, user, DSM_CHAINCODE, "get_stake", neighbourhood, house)


@router.get("/{neighbourhood}/days/{day}/penalties/{house}", response_model=PenaltyResponse)
async def get_penalty(neighbourhood: NeighbourhoodId, day: DayNumber, house: HouseId, backend: Backend,
                      user: Reader) -> Any:
    """What a house's meter reported against its plan for the day, and the penalty paid. 404 until the meter
    reported."""
    return await _calls.evaluate(backend, user, DSM_CHAINCODE, "get_penalty", neighbourhood, day, house)
