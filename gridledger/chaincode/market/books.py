"""Where sealed orders and reveals live, by data model (the variable of the thesis' Configurations 1 and 2).

- key-per-tx: one key per order and per reveal, keyed by (slot, side, participant): concurrent bidders write
  disjoint keys, and reading one's own key refuses a second order on the same side.
- key-per-slot: one JSON map per side for the orders and one for the slot's reveals, read-modify-written by every
  bidder: concurrent bidders read the same version and only the first one ordered stays valid.
Both give `sealed_orders`, the same list in the same (participant, side) order, for clearing and for queries.
"""

from __future__ import annotations

import json

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.errors import conflict, not_found
from gridledger.common.market.book import SealedOrder
from gridledger.common.market.config import KEY_PER_SLOT, MarketConfig
from gridledger.common.market.orders import SIDES

from . import keys


def _entries(stub: ChaincodeStub, kind: str, market_id: str, slot: int) -> dict[tuple[str, str], bytes]:
    """(participant, side) -> value of every key-per-tx record of one kind in a slot."""
    found = {}
    for key, value in stub.get_state_by_partial_composite_key(kind, [market_id, str(slot)]):
        side, participant = stub.split_composite_key(key)[1][2:]
        found[(participant, side)] = value
    return found


def _map(raw: bytes | None) -> dict[str, str]:
    return {} if raw is None else json.loads(raw)


def _encode_map(entries: dict[str, str]) -> bytes:
    return json.dumps(entries, sort_keys=True, separators=(",", ":")).encode("ascii")


class KeyPerTx:
    def __init__(self, config: MarketConfig) -> None:
        self.market_id = config.market_id

    def add_order(self, stub: ChaincodeStub, slot: int, side: str, participant: str, sealed: bytes) -> None:
        key = keys.of_slot(keys.ORDER, self.market_id, slot, side, participant)
        if stub.get_state(key) is not None:
            raise conflict(f"{participant} already has a {side} order in slot {slot}")
        stub.put_state(key, sealed)

    def own_order(self, stub: ChaincodeStub, slot: int, side: str, participant: str) -> tuple[bytes, bool]:
        """The participant's sealed order and whether it is already revealed."""
        sealed, revealed = stub.get_states([keys.of_slot(keys.ORDER, self.market_id, slot, side, participant),
                                            keys.of_slot(keys.REVEAL, self.market_id, slot, side, participant)])
        if sealed is None:
            raise not_found(f"{participant} has no {side} order in slot {slot}")
        return sealed, revealed is not None

    def add_reveal(self, stub: ChaincodeStub, slot: int, side: str, participant: str, secret: bytes) -> None:
        stub.put_state(keys.of_slot(keys.REVEAL, self.market_id, slot, side, participant), secret)

    def sealed_orders(self, stub: ChaincodeStub, slot: int) -> list[SealedOrder]:
        orders = _entries(stub, keys.ORDER, self.market_id, slot)
        reveals = _entries(stub, keys.REVEAL, self.market_id, slot)
        return [SealedOrder(participant, side, orders[(participant, side)], reveals.get((participant, side)))
                for participant, side in sorted(orders)]


class KeyPerSlot:
    def __init__(self, config: MarketConfig) -> None:
        self.market_id = config.market_id

    def _book_key(self, slot: int, side: str) -> str:
        return keys.of_slot(keys.BOOK, self.market_id, slot, side)

    def _reveals_key(self, slot: int) -> str:
        return keys.of_slot(keys.REVEALS, self.market_id, slot)

    def add_order(self, stub: ChaincodeStub, slot: int, side: str, participant: str, sealed: bytes) -> None:
        key = self._book_key(slot, side)
        book = _map(stub.get_state(key))
        if participant in book:
            raise conflict(f"{participant} already has a {side} order in slot {slot}")
        book[participant] = sealed.hex()
        stub.put_state(key, _encode_map(book))

    def own_order(self, stub: ChaincodeStub, slot: int, side: str, participant: str) -> tuple[bytes, bool]:
        book_raw, reveals_raw = stub.get_states([self._book_key(slot, side), self._reveals_key(slot)])
        sealed = _map(book_raw).get(participant)
        if sealed is None:
            raise not_found(f"{participant} has no {side} order in slot {slot}")
        return bytes.fromhex(sealed), f"{side}/{participant}" in _map(reveals_raw)

    def add_reveal(self, stub: ChaincodeStub, slot: int, side: str, participant: str, secret: bytes) -> None:
        key = self._reveals_key(slot)
        reveals = _map(stub.get_state(key))
        reveals[f"{side}/{participant}"] = secret.hex()
        stub.put_state(key, _encode_map(reveals))

    def sealed_orders(self, stub: ChaincodeStub, slot: int) -> list[SealedOrder]:
        raw = stub.get_states([*(self._book_key(slot, side) for side in SIDES), self._reveals_key(slot)])
        reveals = _map(raw[-1])
        orders = []
        for side, book_raw in zip(SIDES, raw[:-1], strict=True):
            for participant, sealed in _map(book_raw).items():
                secret = reveals.get(f"{side}/{participant}")
                orders.append(SealedOrder(participant, side, bytes.fromhex(sealed),
                                          None if secret is None else bytes.fromhex(secret)))
        return sorted(orders, key=lambda o: (o.participant, o.side))


def storage(config: MarketConfig) -> KeyPerTx | KeyPerSlot:
    return KeyPerSlot(config) if config.data_model == KEY_PER_SLOT else KeyPerTx(config)
