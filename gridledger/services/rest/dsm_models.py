"""Path parameters, request and response bodies of the DSM endpoints (docs/dsm.md, "REST"). Responses mirror the
DSM chaincode's JSON, typed so that /docs and a generated client show the units (W, Wh, milli-units of stake)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from gridledger.common.dsm.battery import SLOTS_PER_DAY
from gridledger.common.dsm.config import MAX_DAY
from gridledger.services.rest.market_models import LEDGER_ID, JsonInt

NeighbourhoodId = Annotated[str, Path(pattern=LEDGER_ID, description="neighbourhood id (its configuration's "
                                      "`neighbourhood_id`)")]
HouseId = Annotated[str, Path(pattern=LEDGER_ID, description="house id the operator registered")]
DayNumber = Annotated[int, Path(ge=0, le=MAX_DAY, description="planning day number")]
Watts = list[int]


class OpenDayBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    day: JsonInt = Field(ge=0, le=MAX_DAY, description="the day to open for every house that has joined")


class SteeringParameters(BaseModel):
    neighbourhood_id: str
    method: str = Field(description="method1: base loads on the ledger, PS in one endorsement; method2: base "
                        "loads private, offers and reveals per iteration")
    epsilon_mw: int = Field(description="smallest improvement worth an iteration, mW")
    max_iterations: int
    reward_case: int = Field(description="the thesis' PoS reward case 1..4")
    coordination: str = Field(description="pos or pow")
    pow_target_bits: int
    penalty_per_kwh: int = Field(description="tokens per kWh a metered profile deviates from the plan")
    token_chaincode: str


class NeighbourhoodResponse(BaseModel):
    config: SteeringParameters
    operator_msp: str = Field(description="organisation whose admins operate the neighbourhood")


class DayResponse(BaseModel):
    """A planning day as the ledger records it (docs/dsm.md, "A planning day")."""

    number: int
    status: str = Field(description="open, iterating, chosen (method 2: waiting for a reveal) or planned")
    houses: list[str] = Field(description="houses that had joined when the day opened")
    seed: str = Field(description="hex seed of the day's proof-of-work puzzle and stake draw")
    planners: list[str] = Field(description="houses taking part (sent what their method needs in time)")
    iteration: int = Field(description="accepted Profile Steering moves so far")
    base_aggregate: Watts = Field(description="method 1: the neighbourhood without batteries, W per slot")
    initial_aggregate: Watts = Field(description="after every house planned alone, W per slot")
    aggregate: Watts = Field(description="now (the plan once planned), W per slot")
    winners: list[str]
    improvements_mw: list[int]
    chosen: str
    chosen_gain: int
    passed_over: list[str]
    coordinator: str = Field(description="proof of work: the house whose proof won the day")
    pow_nonce: int
    forger: str = Field(description="the house rewarded for the day")
    reward_milli: int
    stake_value_milli: int = Field(description="every house's stake after the day, summed, in milli-units")
    skipped: dict[str, int] = Field(description="house -> offer windows it missed")


class PlanResponse(BaseModel):
    neighbourhood_id: str
    day: int
    house: str
    profile_w: Watts = Field(min_length=SLOTS_PER_DAY, max_length=SLOTS_PER_DAY,
                             description="the house's planned draw per 15-minute slot, W (negative: feed-in)")


class StakeResponse(BaseModel):
    house: str
    initial_stake_wh: int = Field(description="the battery capacity the house joined with")
    stake_milli: int = Field(description="initial stake plus rewards, in milli-units (1/1000 Wh)")


class PenaltyResponse(BaseModel):
    house: str
    deviation_wh: int = Field(description="energy the metered profile deviated from the plan, Wh")
    penalty: int = Field(description="tokens paid to the grid account")
