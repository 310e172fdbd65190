"""list_members: the utility's view of a market's registrations (REST GET /v1/markets/{id}/members)."""

from __future__ import annotations

from tests.market.scenario import AUCTIONEER, UTILITY, MarketScenario
from tests.market.world import identity


def test_every_registration_is_listed_in_fingerprint_order_and_only_this_markets() -> None:
    market = MarketScenario(["A", "B"])
    market.world.ok(UTILITY, "market", "create_market", market.config | {"market_id": "m2"})
    market.world.ok(UTILITY, "market", "register", "m2", [{"fingerprint": identity("other").fingerprint,
                                                           "role": "prosumer", "household": "Z"}])
    listed = market.ok(identity("anyone"), "list_members")
    assert [m["fingerprint"] for m in listed] == sorted(m["fingerprint"] for m in listed)
    assert {(m["fingerprint"], m["role"], m["household"]) for m in listed} == {
        (AUCTIONEER.fingerprint, "auctioneer", ""),
        (market.prosumer("A").fingerprint, "prosumer", "A"), (market.meter("A").fingerprint, "meter", "A"),
        (market.prosumer("B").fingerprint, "prosumer", "B"), (market.meter("B").fingerprint, "meter", "B")}
    assert market.world.ok(UTILITY, "market", "list_members", "m2") == [
        {"fingerprint": identity("other").fingerprint, "role": "prosumer", "household": "Z"}]
    assert market.world.call(UTILITY, "market", "list_members", "nope").status == 404
