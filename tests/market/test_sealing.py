"""Orders' canonical bytes and the three sealing schemes: round trips, and what each refuses."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridledger.common.market import sealing
from gridledger.common.market.orders import (
    MAX_PRICE,
    MAX_QUANTITY_WH,
    PARTICIPANT_PATTERN,
    SIDES,
    Order,
    OrderError,
    parse_order,
)

ORDER = Order("house-7", "sell", 1250, 9100)


def test_canonical_bytes_round_trip_and_name_market_and_slot() -> None:
    data = ORDER.to_bytes("m1", 3)
    assert json.loads(data) == {"market_id": "m1", "slot": 3, "participant": "house-7", "side": "sell",
                                "quantity_wh": 1250, "price": 9100}
    assert parse_order(data, "m1", 3) == ORDER


@given(market_id=st.text(max_size=40), slot=st.integers(0, 2**63),
       participant=st.from_regex(PARTICIPANT_PATTERN, fullmatch=True).filter(lambda p: p != "grid"),
       side=st.sampled_from(SIDES), quantity=st.integers(1, MAX_QUANTITY_WH), price=st.integers(1, MAX_PRICE))
def test_canonical_bytes_are_sorted_key_compact_json(market_id: str, slot: int, participant: str, side: str,
                                                     quantity: int, price: int) -> None:
    order = Order(participant, side, quantity, price)
    expected = json.dumps({"market_id": market_id, "slot": slot, "participant": participant, "side": side,
                           "quantity_wh": quantity, "price": price}, sort_keys=True, separators=(",", ":"))
    assert order.to_bytes(market_id, slot) == expected.encode("ascii")
    assert parse_order(order.to_bytes(market_id, slot), market_id, slot) == order


def test_a_slot_that_is_not_an_int_is_refused_not_encoded() -> None:
    with pytest.raises(TypeError, match="slot"):
        ORDER.to_bytes("m1", True)  # json.dumps would write true, which no slot parses to


@pytest.mark.parametrize(("data", "reason"), [
    (ORDER.to_bytes("m2", 3), "names market"),
    (ORDER.to_bytes("m1", 4), "names market"),
    (b'{"market_id":"m1"}', "exactly the keys"),
    (b"\xff", "ASCII JSON"),
    (ORDER.to_bytes("m1", 3).replace(b",", b", "), "canonical"),
    (ORDER.to_bytes("m1", 3).replace(b"1250", b"1250.0"), "quantity_wh"),
    (ORDER.to_bytes("m1", 3).replace(b"9100", b"0"), "price"),
    (ORDER.to_bytes("m1", 3).replace(b'"sell"', b'"hold"'), "side"),
    (ORDER.to_bytes("m1", 3).replace(b"house-7", b"grid"), "participant"),
    (b" " * 2000, "at most"),
])
def test_parse_refuses_anything_but_a_canonical_order_of_this_slot(data: bytes, reason: str) -> None:
    with pytest.raises(OrderError, match=reason):
        parse_order(data, "m1", 3)


def test_own_key_round_trip_and_key_check() -> None:
    plaintext = ORDER.to_bytes("m1", 0)
    sealed, private = sealing.seal_own_key(plaintext)
    assert plaintext not in sealed
    sealing.check_sealed(sealing.OWN_KEY, sealed)
    sealing.check_reveal(sealing.OWN_KEY, sealed, private)
    assert sealing.open_order(sealing.OWN_KEY, sealed, private) == plaintext
    other_private, _ = sealing.new_key_pair()
    with pytest.raises(sealing.SealingError, match="does not belong"):
        sealing.check_reveal(sealing.OWN_KEY, sealed, other_private)


def test_own_key_box_that_does_not_open_is_undecryptable() -> None:
    private, public = sealing.new_key_pair()
    garbage = bytes(60) + public
    with pytest.raises(sealing.Undecryptable):
        sealing.open_order(sealing.OWN_KEY, garbage, private)


def test_auctioneer_key_round_trip() -> None:
    private, public = sealing.new_key_pair()
    box = sealing.seal_to(public, b"order")
    sealing.check_sealed(sealing.AUCTIONEER_KEY, box)
    assert sealing.open_order(sealing.AUCTIONEER_KEY, box, private) == b"order"
    with pytest.raises(sealing.Undecryptable):
        sealing.open_order(sealing.AUCTIONEER_KEY, box, sealing.new_key_pair()[0])
    with pytest.raises(sealing.SealingError, match="mark_end"):
        sealing.check_reveal(sealing.AUCTIONEER_KEY, box, private)


def test_commit_reveal_round_trip_and_mismatch() -> None:
    commitment, secret = sealing.commit(b"order-bytes", bytes(32))
    sealing.check_sealed(sealing.COMMIT_REVEAL, commitment)
    assert sealing.open_order(sealing.COMMIT_REVEAL, commitment, secret) == b"order-bytes"
    with pytest.raises(sealing.SealingError, match="hash"):
        sealing.check_reveal(sealing.COMMIT_REVEAL, commitment, b"other-bytes" + bytes(32))
    with pytest.raises(sealing.SealingError, match="nonce"):
        sealing.commit(b"x", b"short")


@pytest.mark.parametrize(("scheme", "sealed"), [
    (sealing.COMMIT_REVEAL, bytes(31)), (sealing.OWN_KEY, bytes(80)), (sealing.AUCTIONEER_KEY, bytes(4096))])
def test_sealed_orders_of_the_wrong_size_are_refused(scheme: str, sealed: bytes) -> None:
    with pytest.raises(sealing.SealingError):
        sealing.check_sealed(scheme, sealed)
