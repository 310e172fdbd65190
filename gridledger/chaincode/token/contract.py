"""TokenContract: accounts of households and the grid, in micro-cents (see docs/market.md "Token API").

Deployed on its own so the market never holds money itself: the market settles a slot with one cross-chaincode
call to apply_settlement, which the token accepts only from the chaincodes the utility named with set_settler (the
shim reports the caller; the market for slots, the DSM chaincode for deviation penalties), only once per settler,
market and slot, and only if the transfers sum to zero.
Owner transfers need cover; settlement may take an account below zero (a household's bill to the grid cannot be
refused after the energy was delivered).
"""

from __future__ import annotations

import json
import re

from gridledger.chaincode import ChaincodeError, ChaincodeStub, Contract, create_composite_key, query, transaction
from gridledger.chaincode.codec import encode_value

CONFIG = "config"
ACCOUNT = "account"
OWNER = "owner"
APPLIED = "applied"
ADMIN = "admin"
ACCOUNT_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")
MAX_AMOUNT = 10**24
MAX_ACCOUNTS_PER_CALL = 1000


def _refuse(message: str, status: int = 400) -> ChaincodeError:
    return ChaincodeError(message, status)


def _account_key(account: str) -> str:
    if not isinstance(account, str) or not ACCOUNT_PATTERN.match(account):
        raise _refuse(f"account {account!r} is not a valid account name")
    return create_composite_key(ACCOUNT, [account])


def _amount(amount: object, allow_negative: bool = False) -> int:
    low = -MAX_AMOUNT if allow_negative else 1
    if isinstance(amount, bool) or not isinstance(amount, int) or not low <= amount <= MAX_AMOUNT:
        raise _refuse(f"amount must be an integer in {low}..{MAX_AMOUNT}, got {amount!r}")
    return amount


def _balance(raw: bytes | None, account: str) -> int:
    if raw is None:
        raise _refuse(f"account {account!r} does not exist", 404)
    return int(json.loads(raw)["balance"])


def _record(balance: int, owner: str) -> bytes:
    return encode_value({"balance": balance, "owner": owner})


class TokenContract(Contract):
    """Balances in micro-cents; the utility (the first admin to call set_settler) opens accounts and mints."""

    def _config(self, stub: ChaincodeStub) -> dict:
        raw = stub.get_state(CONFIG)
        if raw is None:
            raise _refuse("the token is not configured yet: the utility calls set_settler first", 409)
        return json.loads(raw)

    def _require_utility(self, stub: ChaincodeStub, config: dict) -> None:
        if stub.creator.role != ADMIN or stub.creator.msp_id != config["utility"]:
            raise _refuse(f"only an admin of the utility {config['utility']} may do this", 403)

    @transaction
    def set_settler(self, stub: ChaincodeStub, chaincode: str) -> dict:
        """Name one more chaincode allowed to apply settlements. The first admin to call it becomes the utility."""
        raw = stub.get_state(CONFIG)
        if raw is None:
            if stub.creator.role != ADMIN:
                raise _refuse("only an org admin may configure the token", 403)
            config = {"utility": stub.creator.msp_id}
        else:
            config = json.loads(raw)
            self._require_utility(stub, config)
        if not ACCOUNT_PATTERN.match(chaincode):
            raise _refuse(f"{chaincode!r} is not a chaincode name")
        config["settlers"] = sorted({*config.get("settlers", []), chaincode})
        stub.put_state(CONFIG, encode_value(config))
        return config

    @transaction
    def open_accounts(self, stub: ChaincodeStub, accounts_json: dict) -> int:
        """{account: owner certificate fingerprint}: opens new accounts at zero, re-assigns owners of existing ones."""
        self._require_utility(stub, self._config(stub))
        if not isinstance(accounts_json, dict) or not 0 < len(accounts_json) <= MAX_ACCOUNTS_PER_CALL:
            raise _refuse(f"accounts_json maps 1..{MAX_ACCOUNTS_PER_CALL} accounts to owner fingerprints")
        names = sorted(accounts_json)
        existing = stub.get_states([_account_key(name) for name in names])
        for name, raw in zip(names, existing, strict=True):
            owner = accounts_json[name]
            if not isinstance(owner, str) or not FINGERPRINT.match(owner):
                raise _refuse(f"owner of {name!r} must be a certificate fingerprint (64 lowercase hex digits)")
            balance, previous = (0, "") if raw is None else (_balance(raw, name), json.loads(raw)["owner"])
            if previous and previous != owner:
                stub.del_state(create_composite_key(OWNER, [previous]))
            stub.put_state(_account_key(name), _record(balance, owner))
            stub.put_state(create_composite_key(OWNER, [owner]), name.encode("ascii"))
        return len(names)

    @transaction
    def mint(self, stub: ChaincodeStub, account: str, amount: int) -> int:
        """The utility adds money to an open account (deposits, test funds); returns the new balance."""
        self._require_utility(stub, self._config(stub))
        key = _account_key(account)
        raw = stub.get_state(key)
        balance = _balance(raw, account) + _amount(amount)
        stub.put_state(key, _record(balance, json.loads(raw or b"{}")["owner"]))
        return balance

    @transaction
    def transfer(self, stub: ChaincodeStub, to: str, amount: int) -> dict[str, int]:
        """Move money from the submitter's own account to another open account; returns both balances."""
        source = stub.get_state(create_composite_key(OWNER, [stub.creator.fingerprint]))
        if source is None:
            raise _refuse("the submitter owns no account", 403)
        sender = source.decode("ascii")
        if sender == to:
            raise _refuse("cannot transfer to the same account")
        sender_raw, target_raw = stub.get_states([_account_key(sender), _account_key(to)])
        _amount(amount)
        have, target = _balance(sender_raw, sender), _balance(target_raw, to)
        if have < amount:
            raise _refuse(f"insufficient balance: {sender} has {have}, the transfer needs {amount}", 409)
        stub.put_state(_account_key(sender), _record(have - amount, json.loads(sender_raw)["owner"]))
        stub.put_state(_account_key(to), _record(target + amount, json.loads(target_raw)["owner"]))
        return {sender: have - amount, to: target + amount}

    @transaction
    def apply_settlement(self, stub: ChaincodeStub, market_id: str, slot: int, transfers_json: dict) -> int:
        """Apply one market slot's transfers {account: signed amount}; only from a settler chaincode, once per
        settler and slot, summing to zero. Accounts not opened yet are opened (with no owner). Returns the number
        applied."""
        config = self._config(stub)
        if not stub.calling_chaincode or stub.calling_chaincode not in config["settlers"]:
            raise _refuse("apply_settlement is accepted only from a settler chaincode", 403)
        if not isinstance(transfers_json, dict) or len(transfers_json) > 10 * MAX_ACCOUNTS_PER_CALL:
            raise _refuse("transfers_json maps accounts to signed amounts")
        if sum(_amount(value, allow_negative=True) for value in transfers_json.values()) != 0:
            raise _refuse("settlement transfers must sum to zero")
        applied = create_composite_key(APPLIED, [stub.calling_chaincode, market_id, str(slot)])
        names = sorted(transfers_json)
        raws = stub.get_states([applied, *(_account_key(name) for name in names)])
        if raws[0] is not None:
            raise _refuse(f"market {market_id} slot {slot} is already settled", 409)
        for name, raw in zip(names, raws[1:], strict=True):
            record = {"balance": 0, "owner": ""} if raw is None else json.loads(raw)
            stub.put_state(_account_key(name), _record(record["balance"] + transfers_json[name], record["owner"]))
        stub.put_state(applied, b"1")
        return len(names)

    @query
    def balance(self, stub: ChaincodeStub, account: str) -> int:
        return _balance(stub.get_state(_account_key(account)), account)

    @query
    def account_of(self, stub: ChaincodeStub, fingerprint: str) -> str:
        """The account a certificate owns (agents look up their own)."""
        found = stub.get_state(create_composite_key(OWNER, [fingerprint]))
        if found is None:
            raise _refuse("that certificate owns no account", 404)
        return found.decode("ascii")
