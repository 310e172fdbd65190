"""MarketContract: the transactions and queries of docs/market.md ("Contract API").

Bids and reveals do little on purpose (one round trip for the market, the submitter's registration and the phase,
one for the own order key): they are most of the traffic. The heavy work, opening and clearing the book and
settling, happens once per slot in `clear` and `settle`, with the same shared code `market verify` runs.
"""

from __future__ import annotations

import json
from typing import Any

from gridledger.chaincode import ChaincodeStub, Contract, query, transaction
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict, forbidden, not_found
from gridledger.common.market.book import clear_slot
from gridledger.common.market.config import ConfigError, MarketConfig
from gridledger.common.market.orders import MAX_QUANTITY_WH, SIDES, OrderError, check_side
from gridledger.common.market.sealing import (
    AUCTIONEER_KEY,
    KEY_BYTES,
    SealingError,
    check_reveal,
    check_sealed,
    public_key_of,
)

from . import keys, phases, registry
from .books import storage
from .registry import ADMIN, AUCTIONEER, METER, PROSUMER, Market
from .settling import counters_of, read_readings, settle_slot


def _hex(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise bad_request(f"{what} is not hex") from None


def _side(side: str) -> str:
    try:
        return check_side(side)
    except OrderError as exc:
        raise bad_request(str(exc)) from None


def _json(raw: bytes | None, what: str) -> Any:
    if raw is None:
        raise not_found(f"{what} does not exist")
    return json.loads(raw)


class MarketContract(Contract):
    """A sealed-bid uniform-price double auction per slot, with on-chain settlement through the token chaincode."""

    # ---- set-up ----

    @transaction
    def create_market(self, stub: ChaincodeStub, config_json: dict) -> dict:
        """An org admin creates a market and so becomes its utility."""
        if stub.creator.role != ADMIN:
            raise forbidden("only an org admin may create a market (and so become its utility)")
        try:
            config = MarketConfig.from_json(config_json)
        except ConfigError as exc:
            raise bad_request(str(exc)) from None
        key = keys.market(config.market_id)
        if stub.get_state(key) is not None:
            raise conflict(f"market {config.market_id!r} already exists")
        market = Market(config, stub.creator.msp_id)
        stub.put_state(key, encode_value(market.to_json()))
        return market.to_json()

    @transaction
    def register(self, stub: ChaincodeStub, market_id: str, members_json: list) -> int:
        """The utility registers (or re-registers) certificate fingerprints; returns how many."""
        market, _, _ = registry.read(stub, market_id)
        registry.require_utility(stub, market)
        if not isinstance(members_json, list) or not 0 < len(members_json) <= registry.MAX_MEMBERS_PER_CALL:
            raise bad_request(f"members_json is a list of 1..{registry.MAX_MEMBERS_PER_CALL} members")
        for fingerprint, member in map(registry.parse_new_member, members_json):
            stub.put_state(keys.member(market_id, fingerprint), encode_value(member.to_json()))
        return len(members_json)

    # ---- bidding and revealing ----

    @transaction
    def publish_key(self, stub: ChaincodeStub, market_id: str, slot: int, public_key_hex: str) -> None:
        """The auctioneer publishes the slot's X25519 public key, once, while bids are open."""
        key = keys.of_slot(keys.SLOT_KEY, market_id, phases.check_slot(slot))
        market, member, (phase, existing) = registry.read(stub, market_id, phases.phase_key(market_id, slot), key)
        registry.require_role(member, AUCTIONEER)
        if market.config.sealing != AUCTIONEER_KEY:
            raise conflict(f"market {market_id} seals with {market.config.sealing}, not auctioneer keys")
        phases.require(phases.decode(phase), phases.BID, action="publish a slot key")
        if existing is not None:
            raise conflict(f"slot {slot} already has a public key")
        public_key = _hex(public_key_hex, "public_key_hex")
        if len(public_key) != KEY_BYTES:
            raise bad_request(f"an X25519 public key is {KEY_BYTES} bytes")
        stub.put_state(key, public_key)

    @transaction
    def submit_order(self, stub: ChaincodeStub, market_id: str, slot: int, side: str, sealed_hex: str) -> None:
        """A prosumer posts its sealed order for its own household; at most one per side and slot."""
        market, member, (phase,) = registry.read(stub, market_id, phases.phase_key(market_id, slot))
        household = registry.require_role(member, PROSUMER).household
        phases.require(phases.decode(phase), phases.BID, action="submit an order")
        sealed = _hex(sealed_hex, "sealed_hex")
        try:
            check_sealed(market.config.sealing, sealed)
        except SealingError as exc:
            raise bad_request(str(exc)) from None
        storage(market.config).add_order(stub, slot, _side(side), household, sealed)

    @transaction
    def reveal(self, stub: ChaincodeStub, market_id: str, slot: int, side: str, secret_hex: str) -> None:
        """A prosumer reveals its own order (own-key: private key; commit-reveal: order bytes || nonce)."""
        market, member, (phase,) = registry.read(stub, market_id, phases.phase_key(market_id, slot))
        household = registry.require_role(member, PROSUMER).household
        phases.require(phases.decode(phase), phases.REVEAL, action="reveal")
        book = storage(market.config)
        sealed, revealed = book.own_order(stub, slot, _side(side), household)
        if revealed:
            raise conflict(f"{household}'s {side} order in slot {slot} is already revealed")
        secret = _hex(secret_hex, "secret_hex")
        try:
            check_reveal(market.config.sealing, sealed, secret)
        except SealingError as exc:
            raise bad_request(str(exc)) from None
        book.add_reveal(stub, slot, side, household, secret)

    @transaction
    def mark_end(self, stub: ChaincodeStub, market_id: str, slot: int, private_key_hex: str) -> None:
        """The auctioneer reveals the slot's private key, which opens every order of the slot."""
        public_key_key = keys.of_slot(keys.SLOT_KEY, market_id, phases.check_slot(slot))
        end_key = keys.of_slot(keys.END_KEY, market_id, slot)
        _, member, (phase, public_key, existing) = registry.read(
            stub, market_id, phases.phase_key(market_id, slot), public_key_key, end_key)
        registry.require_role(member, AUCTIONEER)
        phases.require(phases.decode(phase), phases.REVEAL, action="post the slot key")
        if public_key is None:
            raise conflict(f"slot {slot} has no published public key")
        if existing is not None:
            raise conflict(f"slot {slot}'s private key is already posted")
        private_key = _hex(private_key_hex, "private_key_hex")
        try:
            matches = public_key_of(private_key) == public_key
        except SealingError as exc:
            raise bad_request(str(exc)) from None
        if not matches:
            raise bad_request("the private key does not belong to the slot's public key")
        stub.put_state(end_key, private_key)

    # ---- clock-gated steps ----

    def _party(self, stub: ChaincodeStub, market_id: str, slot: int) -> MarketConfig:
        market, member, _ = registry.read(stub, market_id)
        registry.require_party(stub, market, member)
        phases.check_slot(slot)
        return market.config

    @transaction
    def clock(self, stub: ChaincodeStub) -> None:
        """A no-op that keeps blocks coming, so that ledger height can serve as the market clock. It answers
        nothing: endorsers a block apart must still agree on its response."""

    @transaction
    def close_bids(self, stub: ChaincodeStub, market_id: str, slot: int) -> None:
        config = self._party(stub, market_id, slot)
        phases.advance(stub, config, slot, phases.BID, phases.REVEAL, config.clock.bid_end(slot))

    @transaction
    def close_reveals(self, stub: ChaincodeStub, market_id: str, slot: int) -> None:
        config = self._party(stub, market_id, slot)
        phases.advance(stub, config, slot, phases.REVEAL, phases.CLOSED, config.clock.reveal_end(slot))

    @transaction
    def clear(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        """Open and clear the closed book; store the result and the allocations; return the result."""
        config = self._party(stub, market_id, slot)
        phases.advance(stub, config, slot, phases.CLOSED, phases.CLEARED, config.clock.reveal_end(slot))
        slot_key = stub.get_state(keys.of_slot(keys.END_KEY, market_id, slot))
        outcome = clear_slot(config, slot, storage(config).sealed_orders(stub, slot), slot_key)
        result = outcome.result_json(config, slot)
        stub.put_state(keys.of_slot(keys.RESULT, market_id, slot), encode_value(result))
        stub.put_state(keys.of_slot(keys.ALLOCATIONS, market_id, slot), encode_value(outcome.allocation.to_json()))
        return result

    @transaction
    def report(self, stub: ChaincodeStub, market_id: str, slot: int, use_wh: int, gen_wh: int) -> None:
        """A meter reports its household's energy for the slot, once, before the slot is settled."""
        _, member, (phase,) = registry.read(stub, market_id, phases.phase_key(market_id, slot))
        household = registry.require_role(member, METER).household
        phases.require(phases.decode(phase), *phases.PHASES[:-1], action="report a reading")
        for name, value in (("use_wh", use_wh), ("gen_wh", gen_wh)):
            if not 0 <= value <= MAX_QUANTITY_WH:
                raise bad_request(f"{name} must be in 0..{MAX_QUANTITY_WH}, got {value}")
        key = keys.of_slot(keys.READING, market_id, slot, household)
        if stub.get_state(key) is not None:
            raise conflict(f"{household} already reported slot {slot}")
        stub.put_state(key, encode_value({"use_wh": use_wh, "gen_wh": gen_wh}))

    @transaction
    def settle(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        """Settle the cleared slot after its delivery period: payments through the token chaincode."""
        config = self._party(stub, market_id, slot)
        phases.advance(stub, config, slot, phases.CLEARED, phases.SETTLED, config.clock.settle_from(slot))
        settlement = settle_slot(stub, config, slot)
        response = stub.invoke_chaincode(config.token_chaincode, "apply_settlement",
                                         [market_id, slot, settlement["transfers"]])
        if not response.ok:
            raise conflict(f"the token chaincode refused the settlement: {response.message}")
        stub.put_state(keys.of_slot(keys.SETTLEMENT, market_id, slot), encode_value(settlement))
        return settlement

    # ---- queries ----

    @query
    def list_markets(self, stub: ChaincodeStub) -> list:
        """Every market on the ledger, in id order (what REST's GET /v1/markets shows)."""
        return [registry.parse_market(stub.split_composite_key(key)[1][0], raw).to_json()
                for key, raw in stub.get_state_by_partial_composite_key(keys.MARKET)]

    @query
    def get_market(self, stub: ChaincodeStub, market_id: str) -> dict:
        return registry.parse_market(market_id, stub.get_state(keys.market(market_id))).to_json()

    @query
    def get_member(self, stub: ChaincodeStub, market_id: str, fingerprint: str) -> dict:
        """A registration (agents ask for their own to learn their household)."""
        member = registry.parse_member(stub.get_state(keys.member(market_id, fingerprint)))
        if member is None:
            raise not_found(f"{fingerprint[:16]} is not registered in market {market_id!r}")
        return member.to_json()

    @query
    def list_members(self, stub: ChaincodeStub, market_id: str) -> list:
        """Every registration of a market, in fingerprint order (what the utility sees at GET .../members)."""
        registry.parse_market(market_id, stub.get_state(keys.market(market_id)))  # 404 for an unknown market
        members = []
        for key, raw in stub.get_state_by_partial_composite_key(keys.MEMBER, [market_id]):
            member = registry.parse_member(raw)
            assert member is not None
            members.append({"fingerprint": stub.split_composite_key(key)[1][1], **member.to_json()})
        return members

    @query
    def get_slot(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        """Phase, order and reveal counts, phase boundaries and the current market clock."""
        market, _, (phase, public_key, end_key) = registry.read(
            stub, market_id, phases.phase_key(market_id, slot), keys.of_slot(keys.SLOT_KEY, market_id, slot),
            keys.of_slot(keys.END_KEY, market_id, slot))
        config = market.config
        orders = storage(config).sealed_orders(stub, slot)
        return {"market_id": market_id, "slot": slot, "phase": phases.decode(phase),
                "orders": {side: sum(1 for o in orders if o.side == side) for side in SIDES},
                "reveals": sum(1 for o in orders if o.secret is not None),
                "public_key": None if public_key is None else public_key.hex(), "slot_key_posted": end_key is not None,
                "bid_end": config.clock.bid_end(slot), "reveal_end": config.clock.reveal_end(slot),
                "settle_from": config.clock.settle_from(slot), "clock": phases.now(stub, config)}

    @query
    def get_orders(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        """The slot's sealed orders with their reveals so far (and the auctioneer's slot key once posted): everything
        needed to recompute the result, and before the reveal phase nothing that opens an order."""
        market, _, (end_key,) = registry.read(stub, market_id, keys.of_slot(keys.END_KEY, market_id,
                                                                              phases.check_slot(slot)))
        return {"market_id": market_id, "slot": slot, "sealing": market.config.sealing,
                "orders": [o.to_json() for o in storage(market.config).sealed_orders(stub, slot)],
                "slot_key": None if end_key is None else end_key.hex()}

    @query
    def get_result(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        return _json(stub.get_state(keys.of_slot(keys.RESULT, market_id, slot)), f"a result for slot {slot}")

    @query
    def get_allocations(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        return _json(stub.get_state(keys.of_slot(keys.ALLOCATIONS, market_id, slot)),
                     f"allocations for slot {slot}")

    @query
    def get_settlement(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        return _json(stub.get_state(keys.of_slot(keys.SETTLEMENT, market_id, slot)),
                     f"a settlement for slot {slot}")

    @query
    def get_readings(self, stub: ChaincodeStub, market_id: str, slot: int) -> dict:
        """{household: {"use_wh", "gen_wh"}} reported so far."""
        return {household: {"use_wh": r.use_wh, "gen_wh": r.gen_wh}
                for household, r in read_readings(stub, market_id, slot).items()}

    @query
    def get_counters(self, stub: ChaincodeStub, market_id: str, slot: int = -1) -> dict:
        """Exclusion and missing-reading counters of one slot, or summed over every cleared slot (slot -1)."""
        return counters_of(stub, market_id, None if slot < 0 else slot)
