"""The energy-market endpoints (docs/market.md): markets, sealed orders and reveals, slots and their results,
meter readings and token balances, and the utility's market creation and member registry.

They are thin on purpose: each one is a call of the market or token chaincode made through the generic custodial
submit/evaluate routes (routes.submit, routes.evaluate), so retries, identities and error documents behave exactly
as for /v1/chaincodes/{name}/*. What they add is a typed, validated request (market_models) and error documents
that name the market's reasons (role, unknown market or slot, phase) instead of a generic chaincode refusal.

The utility's endpoints (create a market, register and list members) need the `admin` right and are signed with
the service's own identity, the organisation's admin: the contract accepts only an org admin as a market's utility,
and users' custodial identities are clients. The clock-gated steps (close_bids, close_reveals, clear, settle) and
the `clock` transactions have no endpoints: `gridledger market operate MARKET` runs them at their boundaries.

Orders arrive sealed: the client builds the order's canonical bytes and seals them (gridledger.common.market.sealing)
before calling, and the service only relays hex it cannot open. Users who keep their own keys call the same
chaincode functions through the offline-signing endpoints (chaincode `market`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from gridledger.common import msp
from gridledger.services.rest.contract_calls import ContractCalls
from gridledger.services.rest.deps import require
from gridledger.services.rest.links import TRANSACTION, follow
from gridledger.services.rest.market_models import (
    AccountId,
    BalanceResponse,
    CreatedMarketResponse,
    HouseholdId,
    MarketConfigBody,
    MarketId,
    MarketResponse,
    MemberResponse,
    MembersBody,
    OrderBody,
    ReadingBody,
    RegisteredResponse,
    RevealBody,
    SlotNumber,
    SlotResponse,
    SlotResultResponse,
)
from gridledger.services.rest.models import SubmitResponse
from gridledger.services.rest.problems import Problem
from gridledger.services.rest.routes import PROBLEMS, Backend
from gridledger.services.rest.users import User

MARKET_CHAINCODE = "market"
TOKEN_CHAINCODE = "token"

Submitter = Annotated[User, Depends(require("submit"))]
Reader = Annotated[User, Depends(require("evaluate"))]
Utility = Annotated[User, Depends(require("admin"))]

CREATED_MARKET = {"market_id": "$response.body#/config/market_id"}
router = APIRouter(prefix="/v1", tags=["energy market"], responses=PROBLEMS)  # type: ignore[arg-type]

# The market and token contracts answer with these statuses on purpose (gridledger/chaincode/errors.py);
# each becomes a problem type of its own so a client can act on it without parsing the message.
_MARKET_PROBLEMS = {
    400: ("market-bad-request", "Market rejected the request"),
    403: ("market-forbidden", "Not allowed by your market role"),
    404: ("market-not-found", "Unknown market, slot, order or account"),
    409: ("market-conflict", "Not allowed in the current phase or state"),
}
_calls = ContractCalls(_MARKET_PROBLEMS)


# ---------- markets and slots ----------

@router.get("/markets", response_model=list[MarketResponse])
async def list_markets(backend: Backend, user: Reader) -> list[Any]:
    """Every market on the ledger, with its configuration and utility."""
    return await _calls.evaluate(backend, user, MARKET_CHAINCODE, "list_markets")


@router.post("/markets", response_model=CreatedMarketResponse, status_code=201, tags=["energy market: utility"],
             responses=follow(201, market=("get", "/v1/markets/{market_id}", CREATED_MARKET),
                              members=("get", "/v1/markets/{market_id}/members", CREATED_MARKET),
                              register=("post", "/v1/markets/{market_id}/members", CREATED_MARKET),
                              transaction=TRANSACTION))
async def create_market(body: MarketConfigBody, backend: Backend, user: Utility) -> CreatedMarketResponse:
    """(Admin right) Create a market; this organisation becomes its utility (the transaction is signed by the
    org's admin). The configuration is fixed from now on (docs/market.md); 409 if the id is taken. In height mode
    nothing advances the clock by itself: run `gridledger market operate MARKET_ID`."""
    result = await _calls.as_org_admin(backend, MARKET_CHAINCODE, "create_market",
                                       json.dumps(body.model_dump(), sort_keys=True))
    created = json.loads(result.payload)
    return CreatedMarketResponse(config=created["config"], utility=created["utility"], tx_id=result.tx_id,
                                 block=result.block)


@router.post("/markets/{market_id}/members", response_model=RegisteredResponse, status_code=201,
             tags=["energy market: utility"],
             responses=follow(201, members=("get", "/v1/markets/{market_id}/members",
                                            {"market_id": "$response.body#/market_id"}), transaction=TRANSACTION))
async def register_members(market_id: MarketId, body: MembersBody, backend: Backend,
                           user: Utility) -> RegisteredResponse:
    """(Admin right, utility's organisation) Register certificate fingerprints as prosumers and meters of a
    household, or as the auctioneer. A user learns their fingerprint from GET /v1/users/me; each device has its
    own identity (a household's meter is not its prosumer)."""
    members = [member.model_dump() for member in body.members]
    result = await _calls.as_org_admin(backend, MARKET_CHAINCODE, "register", market_id,
                                       json.dumps(members, sort_keys=True))
    return RegisteredResponse(market_id=market_id, registered=int(result.payload), tx_id=result.tx_id,
                              block=result.block)


@router.get("/markets/{market_id}/members", response_model=list[MemberResponse], tags=["energy market: utility"])
async def list_members(market_id: MarketId, backend: Backend, user: Utility) -> Any:
    """(Admin right) Every registration of the market, in fingerprint order."""
    return await _calls.as_org_admin(backend, MARKET_CHAINCODE, "list_members", market_id, evaluate=True)


@router.get("/markets/{market_id}", response_model=MarketResponse)
async def get_market(market_id: MarketId, backend: Backend, user: Reader) -> Any:
    """A market's configuration (sealing scheme, clock, grid prices lo/hi in mc/kWh) and its utility."""
    return await _calls.evaluate(backend, user, MARKET_CHAINCODE, "get_market", market_id)


@router.get("/markets/{market_id}/slots/{slot}", response_model=SlotResponse)
async def get_slot(market_id: MarketId, slot: SlotNumber, backend: Backend, user: Reader) -> Any:
    """A slot's phase (bid, reveal, closed, cleared, settled), order and reveal counts, its phase boundaries and
    the market clock now. Every slot of an existing market exists: one nobody bid in is in phase `bid`."""
    return await _calls.evaluate(backend, user, MARKET_CHAINCODE, "get_slot", market_id, slot)


@router.get("/markets/{market_id}/slots/{slot}/result", response_model=SlotResultResponse)
async def get_slot_result(market_id: MarketId, slot: SlotNumber, backend: Backend, user: Reader) -> dict[str, Any]:
    """The cleared slot: clearing price (mc/kWh), volume (Wh), allocations per household, the counters of
    excluded orders and missing readings, and the settlement once the slot is settled. 404 until it is cleared."""
    cleared = await _calls.evaluate(backend, user, MARKET_CHAINCODE, "get_result", market_id, slot)
    allocations, counters, settlement = await asyncio.gather(
        _calls.evaluate(backend, user, MARKET_CHAINCODE, "get_allocations", market_id, slot),
        _calls.evaluate(backend, user, MARKET_CHAINCODE, "get_counters", market_id, slot),
        _calls.found(backend, user, MARKET_CHAINCODE, "get_settlement", market_id, slot))
    # get_counters adds missing readings (known once settled) to the result's own order counters
    return {**cleared, "allocations": allocations, "counters": counters, "settlement": settlement}


# ---------- bidding ----------

@router.post("/markets/{market_id}/slots/{slot}/orders", response_model=SubmitResponse, status_code=201,
             responses=follow(201, transaction=TRANSACTION))
async def post_order(market_id: MarketId, slot: SlotNumber, body: OrderBody, backend: Backend,
                     user: Submitter) -> SubmitResponse:
    """Post a **sealed** order for your household (the household comes from your certificate's registration).

    The service never sees the order: seal its canonical bytes on your side (gridledger.common.market: `Order(...)
    .to_bytes(market_id, slot)`, then `sealing.seal_own_key`, `sealing.seal_to(slot public key)` or
    `sealing.commit`, as the market's `sealing` says) and send only the sealed bytes as hex. Keep the secret to
    reveal it in the reveal phase. One order per side and slot; 409 once bidding for the slot has closed."""
    return await _calls.submit(backend, user, MARKET_CHAINCODE, "submit_order", market_id, slot, body.side,
                         body.sealed_hex)


@router.post("/markets/{market_id}/slots/{slot}/reveal", response_model=SubmitResponse,
             responses=follow(200, transaction=TRANSACTION))
async def post_reveal(market_id: MarketId, slot: SlotNumber, body: RevealBody, backend: Backend,
                      user: Submitter) -> SubmitResponse:
    """Reveal your sealed order in the slot's reveal phase (own-key: the order's private key; commit-reveal:
    order bytes || nonce). The ledger checks the secret belongs to the order; 409 outside the reveal phase."""
    return await _calls.submit(backend, user, MARKET_CHAINCODE, "reveal", market_id, slot, body.side, body.secret_hex)


# ---------- meters and accounts ----------

@router.post("/meters/{household}/readings", response_model=SubmitResponse, status_code=201,
             responses=follow(201, transaction=TRANSACTION))
async def post_reading(household: HouseholdId, body: ReadingBody, backend: Backend,
                       user: Submitter) -> SubmitResponse:
    """A meter reports its household's energy (Wh) for a slot, once, before the slot is settled. The meter is
    the authenticated user's certificate; `household` must be the one the market registered that meter for."""
    member = None
    if user.certificate_pem is not None:  # without one, submitting says what the user must do
        member = await _calls.found(backend, user, MARKET_CHAINCODE, "get_member", body.market_id,
                              msp.fingerprint(backend.certificate_der(user)))
    # `report` takes the household from the certificate's registration, so the path is checked here, for a meter
    # only: for anyone else (another role, or not registered) the chaincode's refusal is the more precise answer.
    if member is not None and member["role"] == "meter" and member["household"] != household:
        raise Problem(403, *_MARKET_PROBLEMS[403],
                      f"your certificate is the meter of household {member['household']!r} in market "
                      f"{body.market_id!r}, not of {household!r}")
    return await _calls.submit(backend, user, MARKET_CHAINCODE, "report", body.market_id, body.slot, body.use_wh,
                         body.gen_wh)


@router.get("/accounts/{account}/balance", response_model=BalanceResponse)
async def get_balance(account: AccountId, backend: Backend, user: Reader) -> BalanceResponse:
    """An account's token balance in micro-cents (price in mc/kWh x energy in Wh)."""
    amount = await _calls.evaluate(backend, user, TOKEN_CHAINCODE, "balance", account)
    return BalanceResponse(account=account, balance=amount)
