"""The token chaincode: only the utility opens accounts and mints, only owners transfer, and only the settler
chaincode applies settlements (once per slot, summing to zero)."""

from __future__ import annotations

from gridledger.chaincode import ChaincodeStub, Contract, transaction
from gridledger.chaincode.token import TokenContract
from tests.market.world import World, identity

UTILITY = identity("utility", "admin")
ALICE, BOB = identity("alice"), identity("bob")


class Intruder(Contract):
    """A chaincode that is not the settler but tries to settle."""

    @transaction
    def steal(self, stub: ChaincodeStub) -> None:
        response = stub.invoke_chaincode("token", "apply_settlement", ["m1", 0, {"alice": 10**6, "grid": -10**6}])
        if not response.ok:
            raise RuntimeError(response.message)


class Settler(Contract):
    @transaction
    def pay(self, stub: ChaincodeStub, slot: int, transfers: dict) -> None:
        response = stub.invoke_chaincode("token", "apply_settlement", ["m1", slot, transfers])
        if not response.ok:
            raise RuntimeError(response.message)


def token_world() -> World:
    world = World({"token": TokenContract(), "intruder": Intruder(), "market": Settler(), "dsm": Settler()})
    world.ok(UTILITY, "token", "set_settler", "market")
    world.ok(UTILITY, "token", "open_accounts", {"alice": ALICE.fingerprint, "bob": BOB.fingerprint,
                                                 "grid": UTILITY.fingerprint})
    return world


def test_only_the_utility_configures_opens_and_mints() -> None:
    world = token_world()
    assert world.call(ALICE, "token", "set_settler", "intruder").status == 403
    assert world.call(identity("org2", "admin", "Org2MSP"), "token", "mint", "alice", 5).status == 403
    assert world.call(ALICE, "token", "open_accounts", {"eve": ALICE.fingerprint}).status == 403
    assert world.ok(UTILITY, "token", "mint", "alice", 500) == 500
    assert world.call(UTILITY, "token", "mint", "nobody", 5).status == 404
    assert world.call(UTILITY, "token", "mint", "alice", -5).status == 400


def test_only_the_owner_transfers_from_its_account_and_needs_cover() -> None:
    world = token_world()
    world.ok(UTILITY, "token", "mint", "alice", 500)
    assert world.ok(ALICE, "token", "transfer", "bob", 200) == {"alice": 300, "bob": 200}
    assert world.call(identity("mallory"), "token", "transfer", "bob", 1).status == 403
    assert world.call(BOB, "token", "transfer", "alice", 201).status == 409
    assert world.call(ALICE, "token", "transfer", "nobody", 1).status == 404
    assert world.call(ALICE, "token", "account_of", ALICE.fingerprint).payload == b"alice"


def test_settlement_only_from_the_settler_chaincode_once_and_balanced() -> None:
    world = token_world()
    direct = world.call(UTILITY, "token", "apply_settlement", "m1", 0, {"alice": 5, "grid": -5})
    assert direct.status == 403
    stolen = world.call(ALICE, "intruder", "steal")
    assert not stolen.ok and "settler" in stolen.message
    assert not world.call(ALICE, "market", "pay", 0, {"alice": 5, "grid": -4}).ok
    world.ok(ALICE, "market", "pay", 0, {"alice": -7, "grid": 5, "carol": 2})
    assert [world.ok(ALICE, "token", "balance", a) for a in ("alice", "grid", "carol")] == [-7, 5, 2]
    replay = world.call(ALICE, "market", "pay", 0, {"alice": 5, "grid": -5})
    assert not replay.ok and "already settled" in replay.message
    assert world.ok(ALICE, "token", "balance", "alice") == -7


def test_unconfigured_token_refuses_everything_but_set_settler() -> None:
    world = World({"token": TokenContract()})
    assert world.call(UTILITY, "token", "open_accounts", {"a": ALICE.fingerprint}).status == 409
    assert world.call(ALICE, "token", "set_settler", "market").status == 403


def test_each_named_settler_settles_its_own_slots() -> None:
    """The market and the DSM chaincode both settle through the token; a slot number is each one's own."""
    world = token_world()
    assert not world.call(ALICE, "dsm", "pay", 0, {"alice": -1, "grid": 1}).ok  # not named yet
    world.ok(UTILITY, "token", "set_settler", "dsm")
    world.ok(ALICE, "market", "pay", 0, {"alice": -7, "grid": 7})
    world.ok(ALICE, "dsm", "pay", 0, {"alice": -1, "grid": 1})
    assert world.ok(ALICE, "token", "balance", "alice") == -8
    assert not world.call(ALICE, "intruder", "steal").ok
