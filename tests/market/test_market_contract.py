"""The market chaincode on an in-process ledger: a slot from bids to balances under every sealing scheme and data
model, secrecy before the reveal, exclusions, who may do what, and phase gating."""

from __future__ import annotations

import json

import pytest

from gridledger.chaincode.market import keys
from gridledger.common.market import sealing
from gridledger.common.market.orders import Order
from tests.market.scenario import AUCTIONEER, START, UTILITY, MarketScenario, market_config
from tests.market.world import identity

FIG_3_1 = [("A", "buy", 1000, 11000), ("B", "buy", 2000, 7000), ("C", "sell", 1000, 5000), ("D", "sell", 1000, 6000)]
SCHEMES = [sealing.OWN_KEY, sealing.AUCTIONEER_KEY, sealing.COMMIT_REVEAL]


def scenario(scheme: str = sealing.OWN_KEY, data_model: str = "key-per-tx", **config: str) -> MarketScenario:
    market = MarketScenario(["A", "B", "C", "D"], sealing_scheme=scheme, data_model=data_model, **config)
    if scheme == sealing.AUCTIONEER_KEY:
        market.publish_key()
    return market


def bid_all(market: MarketScenario, orders=FIG_3_1) -> None:
    for household, side, quantity, price in orders:
        response = market.bid(household, side, quantity, price)
        assert response.ok, response.message


@pytest.mark.parametrize("data_model", ["key-per-tx", "key-per-slot"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_one_slot_from_bids_to_balances(scheme: str, data_model: str) -> None:
    market = scenario(scheme, data_model)
    bid_all(market)
    market.to_reveal_phase()
    market.reveal_all()
    result = market.clear()
    assert (result["price"], result["volume_wh"]) == (6500, 2000)
    assert result["counters"]["included"] == 4
    assert market.ok(UTILITY, "get_allocations", 0) == {"buy": {"A": 1000, "B": 1000},
                                                         "sell": {"C": 1000, "D": 1000}}
    for household, use, gen in (("A", 1000, 0), ("B", 1000, 0), ("C", 0, 1000)):
        market.ok(market.meter(household), "report", 0, use, gen)
    settled = market.settle()
    assert settled["transfers"] == {"A": -6_500_000, "B": -6_500_000, "C": 6_500_000, "D": 6_500_000}
    assert settled["missing_readings"] == 1
    assert [market.balance(a) for a in ("A", "B", "C", "D", "grid")] == [-6_500_000, -6_500_000, 6_500_000,
                                                                         6_500_000, 0]
    assert market.ok(UTILITY, "get_slot", 0)["phase"] == "settled"


@pytest.mark.parametrize("data_model", ["key-per-tx", "key-per-slot"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_plaintext_in_state_or_queries_before_the_reveal(scheme: str, data_model: str) -> None:
    market = scenario(scheme, data_model)
    bid_all(market)
    plaintexts = [Order(h, side, q, p).to_bytes("m1", 0) for h, side, q, p in FIG_3_1]
    market.to_reveal_phase()
    stored = b"".join(value for ns in market.world.state.values() for value in ns.values())
    stored_hex = stored.hex().encode()
    for plaintext in plaintexts:
        assert plaintext not in stored and plaintext.hex().encode() not in stored_hex
    orders = market.ok(UTILITY, "get_orders", 0)
    assert len(orders["orders"]) == 4
    assert all(o["secret"] is None for o in orders["orders"]) and orders["slot_key"] is None
    assert not any(p.hex() in json.dumps(orders) for p in plaintexts)
    market.reveal_all()
    revealed = market.ok(UTILITY, "get_orders", 0)
    assert revealed["slot_key"] is not None if scheme == sealing.AUCTIONEER_KEY else all(
        o["secret"] for o in revealed["orders"])


@pytest.mark.parametrize("data_model", ["key-per-tx", "key-per-slot"])
def test_unrevealed_undecryptable_and_malformed_orders_are_excluded_and_counted(data_model: str) -> None:
    market = MarketScenario(["A", "B", "C", "D", "E", "F", "G"], data_model=data_model)
    bid_all(market)
    market.bid("E", "sell", 500, 4000)  # never revealed
    market.bid("F", "sell", 500, 4000, plaintext=Order("F", "sell", 500, 4000).to_bytes("m1", 1))  # other slot
    market.bid("G", "sell", 500, 4000, plaintext=Order("A", "sell", 500, 4000).to_bytes("m1", 0))  # for A
    private, public = sealing.new_key_pair()  # a box nobody can open, under a key G really holds
    market.secrets[(0, "buy", "G")] = private
    assert market.call(market.prosumer("G"), "submit_order", 0, "buy", (bytes(60) + public).hex()).ok
    market.to_reveal_phase()
    for household, side in [(h, s) for h, s, _, _ in FIG_3_1] + [("F", "sell"), ("G", "sell"), ("G", "buy")]:
        assert market.reveal(household, side).ok
    result = market.clear()
    assert result["counters"] == {"orders": 8, "revealed": 7, "unrevealed": 1, "undecryptable": 1,
                                  "malformed": 2, "included": 4}
    assert (result["price"], result["volume_wh"]) == (6500, 2000)
    totals = market.ok(UTILITY, "get_counters")
    assert totals["malformed"] == 2 and totals["slots_cleared"] == 1


def test_reveals_that_do_not_belong_to_the_order_are_refused() -> None:
    own = scenario(sealing.OWN_KEY)
    bid_all(own)
    own.to_reveal_phase()
    wrong = own.call(own.prosumer("A"), "reveal", 0, "buy", sealing.new_key_pair()[0].hex())
    assert wrong.status == 400 and "does not belong" in wrong.message
    assert own.reveal("A", "buy").ok
    assert own.reveal("A", "buy").status == 409  # once only
    committed = scenario(sealing.COMMIT_REVEAL)
    bid_all(committed)
    committed.to_reveal_phase()
    forged = Order("A", "buy", 9999, 11000).to_bytes("m1", 0) + bytes(32)
    assert committed.call(committed.prosumer("A"), "reveal", 0, "buy", forged.hex()).status == 400


def test_a_participant_bids_only_for_its_own_household() -> None:
    market = scenario()
    for_b = Order("B", "buy", 1000, 9000).to_bytes("m1", 0)  # A's certificate, B's name in the plaintext
    assert market.bid("A", "buy", 1000, 9000, plaintext=for_b).ok
    assert [(o["participant"], o["side"]) for o in market.ok(UTILITY, "get_orders", 0)["orders"]] == [("A", "buy")]
    assert market.bid("A", "buy", 1000, 9000).status == 409  # one order per side and slot
    assert market.call(identity("stranger"), "submit_order", 0, "buy", bytes(120).hex()).status == 403
    assert market.call(market.meter("B"), "submit_order", 0, "buy", bytes(120).hex()).status == 403
    market.to_reveal_phase()
    market.reveal_all()
    assert market.clear()["counters"]["malformed"] == 1


def test_meters_report_only_for_their_household_and_prosumers_cannot_report() -> None:
    market = scenario()
    assert market.call(market.prosumer("A"), "report", 0, 10, 0).status == 403
    market.ok(market.meter("A"), "report", 0, 10, 3)
    assert market.ok(UTILITY, "get_readings", 0) == {"A": {"use_wh": 10, "gen_wh": 3}}
    assert market.call(market.meter("A"), "report", 0, 11, 3).status == 409
    assert market.call(market.meter("B"), "report", 0, -1, 3).status == 400


def test_only_the_utility_admin_registers() -> None:
    market = scenario()
    member = [{"fingerprint": identity("x").fingerprint, "role": "prosumer", "household": "X"}]
    assert market.call(identity("client-of-org1"), "register", member).status == 403
    assert market.call(identity("org2-admin", "admin", "Org2MSP"), "register", member).status == 403
    assert market.call(UTILITY, "register", [{"fingerprint": "zz", "role": "prosumer"}]).status == 400
    assert market.call(UTILITY, "register", [{**member[0], "role": "king"}]).status == 400
    assert market.ok(UTILITY, "register", member) == 1
    assert market.ok(UTILITY, "get_member", identity("x").fingerprint) == {"role": "prosumer", "household": "X"}


def test_create_market_checks_the_creator_and_the_configuration() -> None:
    market = scenario()
    assert market.world.call(identity("client"), "market", "create_market", market_config("m2")).status == 403
    assert market.world.call(UTILITY, "market", "create_market", market_config("m1")).status == 409
    bad = market_config("m3") | {"lo": 20000}
    assert market.world.call(UTILITY, "market", "create_market", bad).status == 400
    assert market.world.call(UTILITY, "market", "create_market", market_config("m3") | {"x": 1}).status == 400


def test_transitions_are_refused_before_their_clock_boundary_and_out_of_order() -> None:
    market = scenario()
    bid_all(market)
    market.world.height = START + 4
    assert market.call(UTILITY, "close_bids", 0).status == 409
    assert market.call(UTILITY, "close_reveals", 0).status == 409  # wrong phase
    assert market.call(market.prosumer("A"), "reveal", 0, "buy", "00").status == 409  # bids still open
    market.to_reveal_phase()
    assert market.bid("A", "sell", 5, 5000).status == 409  # bids closed
    market.reveal_all()
    market.world.height = START + 9
    assert market.call(UTILITY, "close_reveals", 0).status == 409
    market.clear()
    market.world.height = START + 19
    assert market.call(UTILITY, "settle", 0).status == 409
    market.settle()
    assert market.call(UTILITY, "settle", 0).status == 409
    assert market.call(identity("stranger"), "close_bids", 1).status == 403


def test_orders_and_reveals_read_the_phase_key_and_little_else() -> None:
    """The gate closes by MVCC only if every order and reveal reads the key the transition writes."""
    market = scenario()
    phase = keys.of_slot(keys.PHASE, "m1", 0)
    member = keys.member("m1", market.prosumer("A").fingerprint)
    market.bid("A", "buy", 1000, 9000)
    own = keys.of_slot(keys.ORDER, "m1", 0, "buy", "A")
    assert market.world.last.reads == {"market": {keys.market("m1"), member, phase, own}}
    assert not market.world.last.ranges
    market.to_reveal_phase()
    assert market.world.state["market"][phase] == b"reveal"
    market.reveal("A", "buy")
    assert phase in market.world.last.reads["market"]


def test_key_per_slot_bidders_share_the_book_key_and_key_per_tx_bidders_do_not() -> None:
    writes = {}
    for data_model in ("key-per-slot", "key-per-tx"):
        market = scenario(data_model=data_model)
        before = dict(market.world.state["market"])
        market.bid("A", "buy", 1000, 9000)
        after_a = dict(market.world.state["market"])
        market.bid("B", "buy", 1000, 9000)
        written_a = {k for k in after_a if before.get(k) != after_a[k]}
        written_b = {k for k in market.world.state["market"] if after_a.get(k) != market.world.state["market"][k]}
        writes[data_model] = written_a & written_b
    assert writes == {"key-per-slot": {keys.of_slot(keys.BOOK, "m1", 0, "buy")}, "key-per-tx": set()}


def test_auctioneer_key_publication_and_mark_end() -> None:
    market = scenario(sealing.AUCTIONEER_KEY)
    assert market.call(AUCTIONEER, "publish_key", 0, bytes(32).hex()).status == 409  # already published
    assert market.call(market.prosumer("A"), "publish_key", 1, bytes(32).hex()).status == 403
    bid_all(market)
    market.to_reveal_phase()
    assert market.call(AUCTIONEER, "mark_end", 0, sealing.new_key_pair()[0].hex()).status == 400
    assert market.call(market.prosumer("A"), "reveal", 0, "buy", "00").status == 400  # the auctioneer reveals
    market.reveal_all()
    assert market.clear()["price"] == 6500
    own = scenario(sealing.OWN_KEY)
    assert own.call(AUCTIONEER, "publish_key", 0, bytes(32).hex()).status == 409


def test_auctioneer_no_show_leaves_every_order_unrevealed_and_the_grid_serves_all() -> None:
    market = scenario(sealing.AUCTIONEER_KEY)
    bid_all(market)
    market.to_reveal_phase()
    result = market.clear()
    assert result["volume_wh"] == 0 and result["price"] is None and result["counters"]["unrevealed"] == 4
    market.ok(market.meter("A"), "report", 0, 100, 0)
    assert market.settle()["transfers"] == {"A": -1_084_000, "grid": 1_084_000}


def test_time_mode_uses_the_proposal_timestamp() -> None:
    market = MarketScenario(["A"])
    config = market_config("t1") | {"clock": {"mode": "time", "start": market.world.timestamp_ns,
                                              "slot_length": 10**9, "reveal_offset": 5 * 10**8}}
    market.world.ok(UTILITY, "market", "create_market", config)
    listed = market.world.ok(UTILITY, "market", "list_markets")
    assert [m["config"]["market_id"] for m in listed] == [market.market_id, "t1"]  # type: ignore[union-attr]
    assert market.world.call(UTILITY, "market", "close_bids", "t1", 0).status == 409
    market.world.timestamp_ns += 5 * 10**8
    assert market.world.call(UTILITY, "market", "close_bids", "t1", 0).ok
    assert market.world.ok(UTILITY, "market", "get_slot", "t1", 0)["phase"] == "reveal"


def test_queries_for_missing_records_answer_not_found() -> None:
    market = scenario()
    assert market.call(UTILITY, "get_result", 0).status == 404
    assert market.world.call(UTILITY, "market", "get_market", "nope").status == 404
    slot = market.ok(UTILITY, "get_slot", 0)
    assert slot["phase"] == "bid" and slot["bid_end"] == START + 5 and slot["orders"] == {"buy": 0, "sell": 0}
