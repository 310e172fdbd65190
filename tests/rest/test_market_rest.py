"""The energy-market endpoints: request validation and error mapping against a scripted ledger (no network), then
one slot of a real market end to end (a real network, the service in its own process, sealing on the client)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gridledger.common import msp
from gridledger.common.market import sealing
from gridledger.common.market.config import MAX_SLOT
from gridledger.common.market.orders import MAX_QUANTITY_WH, Order
from gridledger.common.market.sealing import MAX_SEALED_BYTES
from gridledger.ops.deploy import deploy
from gridledger.sdk import RetryPolicy, SubmitResult, errors
from gridledger.services.rest import market_routes, problems
from gridledger.services.rest.backend import RestBackend
from gridledger.services.rest.deps import authenticated, get_backend
from gridledger.services.rest.users import User
from gridledger.v1 import block_pb2
from tests.integration.network import REPO, TWO_ORGS
from tests.rest.conftest import RestNetwork
from tests.rest.test_rest_api import _problem as problem_document

CA = msp.new_signing_ca("Org1MSP")
METER_PEM = msp.issue_identity(CA, "meter-h1", "client").cert_pem.decode()
METER_FINGERPRINT = msp.fingerprint(msp.pem_to_der(METER_PEM.encode()))


def _problem(response: httpx.Response, status: int, kind: str | None = None) -> dict:
    """The problem document of `response` (checked as test_rest_api checks them), of type `kind` if given."""
    body = problem_document(response, status)
    assert kind is None or body["type"] == f"urn:gridledger:problem:{kind}", body
    return body


# ---------- a scripted ledger behind the real routes ----------

Answer = bytes | errors.GridLedgerError | Callable[..., bytes | errors.GridLedgerError]


@dataclass
class ScriptedLedger:
    """Stands in for the backend's network: answers (chaincode, function) from `answers` (bytes, an SDK error to
    raise, or a function of the call's arguments giving either) and records every call, so a test sees exactly
    what reached the ledger."""

    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    calls: list[tuple[str, str, str, tuple]] = field(default_factory=list)  # (kind, chaincode, function, args)

    def answer(self, kind: str, chaincode: str, function: str, args: tuple) -> bytes:
        self.calls.append((kind, chaincode, function, args))
        found = self.answers.get((chaincode, function), b"")
        if callable(found):
            found = found(*args)
        if isinstance(found, errors.GridLedgerError):
            raise found
        return found

    def contract(self, name: str) -> _ScriptedContract:
        return _ScriptedContract(self, name)


@dataclass
class _ScriptedContract:
    ledger: ScriptedLedger
    name: str

    async def submit(self, function: str, *args: str, **_: object) -> SubmitResult:
        payload = self.ledger.answer("submit", self.name, function, args)
        return SubmitResult(tx_id="ab" * 32, block=7, code=block_pb2.VALID, payload=payload)

    async def evaluate(self, function: str, *args: str, **_: object) -> bytes:
        return self.ledger.answer("evaluate", self.name, function, args)


class ScriptedBackend:
    """What the routes use of RestBackend: the user's channel view, the retry policy, the certificate."""

    retry = RetryPolicy()
    certificate_der = staticmethod(RestBackend.certificate_der)

    def __init__(self, ledger: ScriptedLedger) -> None:
        self.ledger = ledger
        self.network = ledger  # the service identity's view (the org admin: the utility's calls)

    async def network_for(self, user: User) -> ScriptedLedger:
        return self.ledger


@pytest.fixture
def ledger() -> ScriptedLedger:
    return ScriptedLedger()


def _client(ledger: ScriptedLedger, scopes: tuple[str, ...]) -> TestClient:
    app = FastAPI()
    problems.install(app)
    app.include_router(market_routes.router)
    user = User("meter-h1", "Org1MSP", scopes, METER_PEM, True, dt.datetime.now(dt.UTC).isoformat())
    app.dependency_overrides[get_backend] = lambda: ScriptedBackend(ledger)
    app.dependency_overrides[authenticated] = lambda: user
    return TestClient(app)


@pytest.fixture
def http(ledger: ScriptedLedger) -> Iterator[TestClient]:
    with _client(ledger, ("submit", "evaluate")) as client:
        yield client


@pytest.fixture
def utility(ledger: ScriptedLedger) -> Iterator[TestClient]:
    """A user with the admin right: the utility's endpoints sign as the org admin."""
    with _client(ledger, ("submit", "evaluate", "admin")) as client:
        yield client


ORDERS = "/v1/markets/m1/slots/3/orders"
GOOD_ORDER = {"side": "buy", "sealed_hex": "AB" * 100}
GOOD_READING = {"market_id": "m1", "slot": 3, "use_wh": 1500, "gen_wh": 0}


@pytest.mark.parametrize(("path", "body", "location"), [
    (ORDERS, {**GOOD_ORDER, "side": "hold"}, "body.side"),
    (ORDERS, {**GOOD_ORDER, "sealed_hex": "zz" * 50}, "body.sealed_hex"),
    (ORDERS, {**GOOD_ORDER, "sealed_hex": "abc"}, "body.sealed_hex"),  # half a byte
    (ORDERS, {**GOOD_ORDER, "sealed_hex": ""}, "body.sealed_hex"),
    (ORDERS, {**GOOD_ORDER, "sealed_hex": "00" * (MAX_SEALED_BYTES + 1)}, "body.sealed_hex"),
    (ORDERS, {**GOOD_ORDER, "price": 9000}, "body.price"),  # plaintext fields have no place here
    (ORDERS, {"sealed_hex": "00"}, "body.side"),
    ("/v1/markets/m1/slots/-1/orders", GOOD_ORDER, "path.slot"),
    (f"/v1/markets/m1/slots/{MAX_SLOT + 1}/orders", GOOD_ORDER, "path.slot"),
    ("/v1/markets/m%20one/slots/3/orders", GOOD_ORDER, "path.market_id"),
    ("/v1/markets/m1/slots/3/reveal", {"side": "sell", "secret_hex": "0g"}, "body.secret_hex"),
    ("/v1/markets/m1/slots/3/reveal", {"side": "sell"}, "body.secret_hex"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "use_wh": -1}, "body.use_wh"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "use_wh": "1500"}, "body.use_wh"),  # strict: no strings
    ("/v1/meters/h1/readings", {**GOOD_READING, "gen_wh": 2.5}, "body.gen_wh"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "gen_wh": True}, "body.gen_wh"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "gen_wh": MAX_QUANTITY_WH + 1}, "body.gen_wh"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "market_id": "../m1"}, "body.market_id"),
    ("/v1/meters/h1/readings", {**GOOD_READING, "slot": -3}, "body.slot"),
    ("/v1/meters/h%201/readings", GOOD_READING, "path.household"),
])
def test_malformed_requests_are_422_and_never_reach_the_ledger(http: TestClient, ledger: ScriptedLedger, path: str,
                                                               body: dict, location: str) -> None:
    problem = _problem(http.post(path, json=body), 422, "invalid-request")
    assert location in [e["location"] for e in problem["errors"]], problem
    assert ledger.calls == []


def test_a_sealed_order_is_relayed_as_lowercase_hex(http: TestClient, ledger: ScriptedLedger) -> None:
    posted = http.post(ORDERS, json=GOOD_ORDER)
    assert posted.status_code == 201, posted.text
    assert posted.json()["tx_id"] == "ab" * 32 and posted.json()["validation_code"] == "VALID"
    revealed = http.post("/v1/markets/m1/slots/3/reveal", json={"side": "buy", "secret_hex": "0A" * 32})
    assert revealed.status_code == 200, revealed.text
    assert ledger.calls == [("submit", "market", "submit_order", ("m1", "3", "buy", "ab" * 100)),
                            ("submit", "market", "reveal", ("m1", "3", "buy", "0a" * 32))]


@pytest.mark.parametrize(("error", "status", "kind"), [
    (errors.ChaincodeError(400, "sealed_hex is not hex"), 400, "market-bad-request"),
    (errors.ChaincodeError(403, "the submitter is not registered as prosumer"), 403, "market-forbidden"),
    (errors.ChaincodeError(404, "market 'm1' does not exist"), 404, "market-not-found"),
    (errors.ChaincodeError(409, "cannot submit an order in phase 'reveal'"), 409, "market-conflict"),
    (errors.ChaincodeError(500, "boom"), 409, "chaincode-refused"),  # as /v1/chaincodes/* answers it
    (errors.EndorserUnavailable(grpc.StatusCode.UNAVAILABLE, "peer down", "endorse"), 503, "unavailable"),
    (errors.GatewayStatusError(grpc.StatusCode.INTERNAL, "peer broke", "endorse"), 502, "peer-error"),
    (errors.MvccReadConflict("cd" * 32, block_pb2.MVCC_READ_CONFLICT, 9), 409, "mvcc-read-conflict"),
])
def test_ledger_failures_become_precise_problems(http: TestClient, ledger: ScriptedLedger,
                                                 error: errors.GridLedgerError, status: int, kind: str) -> None:
    ledger.answers[("market", "submit_order")] = error
    problem = _problem(http.post(ORDERS, json=GOOD_ORDER), status, kind)
    assert problem["detail"]
    if status == 503:
        assert problem["retryable"] is True
    if isinstance(error, errors.ChaincodeError):
        assert problem["chaincode_status"] == error.status and error.message in problem["detail"]


def _meter_of(household: str) -> bytes:
    return json.dumps({"role": "meter", "household": household}).encode()


def test_a_meter_reports_only_for_its_own_household(http: TestClient, ledger: ScriptedLedger) -> None:
    ledger.answers[("market", "get_member")] = _meter_of("h1")
    _problem(http.post("/v1/meters/h2/readings", json=GOOD_READING), 403, "market-forbidden")
    assert [c[2] for c in ledger.calls] == ["get_member"]  # refused before anything was endorsed
    reported = http.post("/v1/meters/h1/readings", json=GOOD_READING)
    assert reported.status_code == 201, reported.text
    assert ledger.calls[1:] == [("evaluate", "market", "get_member", ("m1", METER_FINGERPRINT)),
                                ("submit", "market", "report", ("m1", "3", "1500", "0"))]


def test_the_chaincode_judges_readings_from_anyone_but_a_meter(http: TestClient, ledger: ScriptedLedger) -> None:
    ledger.answers[("market", "get_member")] = errors.ChaincodeError(404, "not registered")
    ledger.answers[("market", "report")] = errors.ChaincodeError(403, "not registered as meter")
    _problem(http.post("/v1/meters/h1/readings", json=GOOD_READING), 403, "market-forbidden")
    assert [c[2] for c in ledger.calls] == ["get_member", "report"]


def test_slot_result_joins_result_allocations_counters_and_settlement(http: TestClient,
                                                                      ledger: ScriptedLedger) -> None:
    counters = {"orders": 2, "included": 2, "missing_readings": 0}
    ledger.answers.update({
        ("market", "get_result"): json.dumps({"market_id": "m1", "slot": 3, "price": 8000, "volume_wh": 600,
                                              "demand_wh": 1000, "supply_wh": 600, "tie_rule": "average",
                                              "counters": {"orders": 2}}).encode(),
        ("market", "get_allocations"): json.dumps({"buy": {"h1": 600}, "sell": {"h2": 600}}).encode(),
        ("market", "get_counters"): json.dumps(counters).encode(),
        ("market", "get_settlement"): errors.ChaincodeError(404, "a settlement for slot 3 does not exist"),
    })
    found = http.get("/v1/markets/m1/slots/3/result")
    assert found.status_code == 200, found.text
    assert found.json() == {"market_id": "m1", "slot": 3, "price": 8000, "volume_wh": 600, "demand_wh": 1000,
                            "supply_wh": 600, "tie_rule": "average", "counters": counters, "settlement": None,
                            "allocations": {"buy": {"h1": 600}, "sell": {"h2": 600}}}
    ledger.answers[("market", "get_result")] = errors.ChaincodeError(404, "a result for slot 3 does not exist")
    _problem(http.get("/v1/markets/m1/slots/3/result"), 404, "market-not-found")


def test_market_list_is_the_ledgers(http: TestClient, ledger: ScriptedLedger) -> None:
    market = {"config": {"market_id": "m1", "sealing": "own-key", "data_model": "key-per-tx",
                         "tie_rule": "average", "lo": 3400, "hi": 10840, "token_chaincode": "token",
                         "clock": {"mode": "height", "start": 0, "slot_length": 4, "reveal_offset": 2}},
              "utility": "Org1MSP"}
    ledger.answers[("market", "list_markets")] = json.dumps([market]).encode()
    assert http.get("/v1/markets").json() == [market]
    assert ledger.calls == [("evaluate", "market", "list_markets", ())]


def test_balance_reads_the_token_chaincode(http: TestClient, ledger: ScriptedLedger) -> None:
    ledger.answers[("token", "balance")] = b"-14556000"
    assert http.get("/v1/accounts/h1/balance").json() == {"account": "h1", "balance": -14556000}
    assert ledger.calls == [("evaluate", "token", "balance", ("h1",))]
    _problem(http.get("/v1/accounts/no%20such/balance"), 422)


# ---------- the utility: creating a market, registering and listing members ----------

CONFIG = {"market_id": "m1", "sealing": "own-key", "clock": {"mode": "height", "start": 20, "slot_length": 10,
                                                             "reveal_offset": 5}, "lo": 3400, "hi": 10840}
FINGERPRINT = "ab" * 32


@pytest.mark.parametrize(("body", "location"), [
    ({**CONFIG, "lo": 20000}, "body"),  # lo must be below hi
    ({**CONFIG, "clock": {**CONFIG["clock"], "reveal_offset": 10}}, "body"),  # inside the slot
    ({**CONFIG, "clock": {**CONFIG["clock"], "slot_length": 1}}, "body.clock.slot_length"),
    ({**CONFIG, "clock": {**CONFIG["clock"], "start": "20"}}, "body.clock.start"),
    ({**CONFIG, "sealing": "rsa"}, "body.sealing"),
    ({**CONFIG, "market_id": "m 1"}, "body.market_id"),
    ({**CONFIG, "hi": 10**9 + 1}, "body.hi"),
    ({**CONFIG, "surprise": 1}, "body.surprise"),
    ({k: v for k, v in CONFIG.items() if k != "clock"}, "body.clock"),
])
def test_a_market_configuration_is_checked_before_anything_is_endorsed(utility: TestClient, ledger: ScriptedLedger,
                                                                       body: dict, location: str) -> None:
    problem = _problem(utility.post("/v1/markets", json=body), 422, "invalid-request")
    assert location in [e["location"] for e in problem["errors"]], problem
    assert ledger.calls == []


def test_create_market_signs_as_the_org_admin_and_answers_the_stored_record(utility: TestClient,
                                                                          ledger: ScriptedLedger) -> None:
    stored = {**CONFIG, "data_model": "key-per-tx", "tie_rule": "average", "token_chaincode": "token"}
    ledger.answers[("market", "create_market")] = json.dumps({"config": stored, "utility": "Org1MSP"}).encode()
    created = utility.post("/v1/markets", json=CONFIG)
    assert created.status_code == 201, created.text
    assert created.json() == {"config": stored, "utility": "Org1MSP", "tx_id": "ab" * 32, "block": 7}
    [(kind, chaincode, function, (config_json,))] = ledger.calls
    assert (kind, chaincode, function) == ("submit", "market", "create_market")
    assert json.loads(config_json) == stored  # the defaults are sent explicitly


def test_registration_is_checked_then_sent_in_one_transaction(utility: TestClient, ledger: ScriptedLedger) -> None:
    path = "/v1/markets/m1/members"
    for member, location in [({"fingerprint": FINGERPRINT, "role": "meter"}, "body.members.0"),  # no household
                             ({"fingerprint": FINGERPRINT, "role": "auctioneer", "household": "h1"},
                              "body.members.0"),
                             ({"fingerprint": FINGERPRINT, "role": "prosumer", "household": "grid"},
                              "body.members.0"),
                             ({"fingerprint": "AB" * 32, "role": "prosumer", "household": "h1"},
                              "body.members.0.fingerprint"),
                             ({"fingerprint": FINGERPRINT, "role": "king", "household": "h1"},
                              "body.members.0.role")]:
        problem = _problem(utility.post(path, json={"members": [member]}), 422, "invalid-request")
        assert location in [e["location"] for e in problem["errors"]], (member, problem)
    too_many = [{"fingerprint": FINGERPRINT, "role": "prosumer", "household": "h1"}] * 1001
    _problem(utility.post(path, json={"members": too_many}), 422)
    _problem(utility.post(path, json={"members": []}), 422)
    assert ledger.calls == []
    ledger.answers[("market", "register")] = b"2"
    members = [{"fingerprint": FINGERPRINT, "role": "prosumer", "household": "h1"},
               {"fingerprint": "cd" * 32, "role": "auctioneer"}]
    registered = utility.post(path, json={"members": members})
    assert registered.status_code == 201, registered.text
    assert registered.json() == {"market_id": "m1", "registered": 2, "tx_id": "ab" * 32, "block": 7}
    [(_, _, function, (market_id, members_json))] = ledger.calls
    assert (function, market_id) == ("register", "m1")
    assert json.loads(members_json) == [members[0], {**members[1], "household": ""}]


def test_member_listing_and_refusals(utility: TestClient, http: TestClient, ledger: ScriptedLedger) -> None:
    listed = [{"fingerprint": FINGERPRINT, "role": "meter", "household": "h1"}]
    ledger.answers[("market", "list_members")] = json.dumps(listed).encode()
    assert utility.get("/v1/markets/m1/members").json() == listed
    ledger.answers[("market", "register")] = errors.ChaincodeError(403, "only an admin of the utility Org2MSP")
    member = {"fingerprint": FINGERPRINT, "role": "prosumer", "household": "h1"}
    _problem(utility.post("/v1/markets/m1/members", json={"members": [member]}), 403, "market-forbidden")
    calls = len(ledger.calls)
    for response in (http.post("/v1/markets", json=CONFIG), http.get("/v1/markets/m1/members"),
                     http.post("/v1/markets/m1/members", json={"members": [member]})):
        assert "'admin' right" in _problem(response, 403, "forbidden")["detail"]
    assert len(ledger.calls) == calls  # a user without the admin right reaches nothing


# ---------- one slot of a real market, end to end ----------

MARKET = "m1"
# start 0: every phase boundary of slot 0 is already behind the chain's height once the chaincodes are deployed,
# so the test walks the phases without waiting for blocks; the phase key still forces their order.
MARKET_CONFIG = {"market_id": MARKET, "sealing": sealing.OWN_KEY, "data_model": "key-per-tx",
                 "tie_rule": "average", "clock": {"mode": "height", "start": 0, "slot_length": 2, "reveal_offset": 1},
                 "lo": 3400, "hi": 10840, "token_chaincode": "token"}


@dataclass
class MarketUsers:
    """API tokens of two prosumers (households h1 and h2) and the meter of h1."""

    h1: str
    h2: str
    meter: str


async def _name_the_settler(rest_network: RestNetwork) -> None:
    """Right after deploying: the market chaincode may apply settlements to the token's accounts."""
    async with await rest_network.net.gateway("Org1MSP", "admin") as gateway:
        await gateway.network(rest_network.net.channel).contract("token").submit("set_settler", "market")


@pytest.fixture(scope="module")
def market_users(rest_network: RestNetwork) -> MarketUsers:
    for name in ("market", "token"):
        asyncio.run(deploy(rest_network.net.clients, name, REPO / "gridledger" / "chaincode" / name, "1.0",
                           TWO_ORGS))
    asyncio.run(_name_the_settler(rest_network))
    tokens, fingerprints = {}, {}
    for name in ("prosumer-h1", "prosumer-h2", "meter-h1"):
        tokens[name] = rest_network.enroll(name)
        with rest_network.client(tokens[name]) as http:
            fingerprints[name] = http.get("/v1/users/me").json()["fingerprint"]
    members = [{"fingerprint": fingerprints["prosumer-h1"], "role": "prosumer", "household": "h1"},
               {"fingerprint": fingerprints["prosumer-h2"], "role": "prosumer", "household": "h2"},
               {"fingerprint": fingerprints["meter-h1"], "role": "meter", "household": "h1"}]
    with rest_network.client(rest_network.enroll("the-utility", "--admin")) as utility:  # signs as Org1's admin
        assert _ok(utility.post("/v1/markets", json=MARKET_CONFIG), 201)["utility"] == "Org1MSP"
        assert _ok(utility.post(f"/v1/markets/{MARKET}/members", json={"members": members}), 201)["registered"] == 3
        assert _ok(utility.get(f"/v1/markets/{MARKET}/members")) == sorted(members, key=lambda m: m["fingerprint"])
    return MarketUsers(tokens["prosumer-h1"], tokens["prosumer-h2"], tokens["meter-h1"])


def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def _advance(http: httpx.Client, step: str) -> None:
    """A clock-gated phase step, through the generic chaincode endpoint (any registered member may call it)."""
    _ok(http.post("/v1/chaincodes/market/submit", json={"function": step, "args": [MARKET, "0"]}))


@pytest.mark.integration
def test_one_slot_sealed_orders_to_settled_balances(rest_network: RestNetwork, market_users: MarketUsers) -> None:
    slot = f"/v1/markets/{MARKET}/slots/0"
    orders = {"h1": Order("h1", "buy", 1000, 9000), "h2": Order("h2", "sell", 600, 7000)}  # Wh, mc/kWh
    secrets = {}
    with rest_network.client(market_users.h1) as h1, rest_network.client(market_users.h2) as h2:
        assert [m["config"] for m in _ok(h1.get("/v1/markets"))] == [MARKET_CONFIG]
        assert _ok(h1.get(f"/v1/markets/{MARKET}"))["utility"] == "Org1MSP"
        for household, http in (("h1", h1), ("h2", h2)):  # sealed here; the service only ever sees hex
            sealed, secrets[household] = sealing.seal_own_key(orders[household].to_bytes(MARKET, 0))
            _ok(http.post(f"{slot}/orders", json={"side": orders[household].side, "sealed_hex": sealed.hex()}), 201)
        again = h1.post(f"{slot}/orders", json={"side": "buy", "sealed_hex": sealed.hex()})
        assert "already has a buy order" in _problem(again, 409, "market-conflict")["detail"]
        state = _ok(h1.get(slot))
        assert (state["phase"], state["orders"], state["reveals"]) == ("bid", {"buy": 1, "sell": 1}, 0)

        _advance(h1, "close_bids")
        late = h2.post(f"{slot}/orders", json={"side": "buy", "sealed_hex": sealed.hex()})
        assert "phase 'reveal'" in _problem(late, 409, "market-conflict")["detail"]
        for household, http in (("h1", h1), ("h2", h2)):
            _ok(http.post(f"{slot}/reveal", json={"side": orders[household].side,
                                                  "secret_hex": secrets[household].hex()}))
        assert _ok(h1.get(slot))["reveals"] == 2
        _problem(h1.get(f"{slot}/result"), 404, "market-not-found")  # not cleared yet
        _advance(h1, "close_reveals")
        _advance(h1, "clear")

        with rest_network.client(market_users.meter) as meter:
            reading = {"market_id": MARKET, "slot": 0, "use_wh": 1500, "gen_wh": 0}
            _ok(meter.post("/v1/meters/h1/readings", json=reading), 201)
            _problem(meter.post("/v1/meters/h2/readings", json=reading), 403, "market-forbidden")
        _problem(h1.post("/v1/meters/h1/readings", json=reading), 403, "market-forbidden")  # a prosumer
        _advance(h2, "settle")

        result = _ok(h2.get(f"{slot}/result"))
        assert (result["price"], result["volume_wh"]) == (8000, 600)  # midpoint of 9000 and 7000, min(1000, 600)
        assert result["allocations"] == {"buy": {"h1": 600}, "sell": {"h2": 600}}
        assert result["counters"]["included"] == 2 and result["counters"]["missing_readings"] == 1  # h2's meter
        # h1 pays 8000 mc/kWh x 600 Wh in the market and buys its 900 Wh shortfall from the grid at hi (10840)
        expected = {"h1": -8000 * 600 - 10840 * 900, "h2": 8000 * 600, "grid": 10840 * 900}
        assert result["settlement"]["transfers"] == expected
        for account, amount in expected.items():
            assert _ok(h2.get(f"/v1/accounts/{account}/balance")) == {"account": account, "balance": amount}
        assert _ok(h1.get(slot))["phase"] == "settled"


@pytest.mark.integration
def test_market_refusals_are_precise_problems(rest_network: RestNetwork, market_users: MarketUsers) -> None:
    with rest_network.client(market_users.h1) as http:
        _problem(http.get("/v1/markets/nowhere"), 404, "market-not-found")
        order = {"side": "buy", "sealed_hex": "ab" * 120}
        _problem(http.post("/v1/markets/nowhere/slots/0/orders", json=order), 404, "market-not-found")
        _problem(http.post(f"/v1/markets/{MARKET}/slots/5/orders", json={**order, "sealed_hex": "not hex"}), 422,
                 "invalid-request")
        short = http.post(f"/v1/markets/{MARKET}/slots/5/orders", json={**order, "sealed_hex": "ab"})
        assert "sealed order" in _problem(short, 400, "market-bad-request")["detail"]  # the ledger's own check
        _problem(http.get("/v1/accounts/nobody/balance"), 404, "market-not-found")
    with rest_network.client(market_users.meter) as meter:
        _problem(meter.post(f"/v1/markets/{MARKET}/slots/5/orders", json=order), 403, "market-forbidden")
