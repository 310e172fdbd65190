"""A market on the in-process World: a utility, prosumers and meters per household, an auctioneer, and helpers
that seal and reveal orders the way an agent does."""

from __future__ import annotations

from gridledger.chaincode import ChaincodeResponse, Creator
from gridledger.chaincode.market import MarketContract
from gridledger.chaincode.token import TokenContract
from gridledger.common.market import sealing
from gridledger.common.market.orders import Order
from tests.market.world import World, identity

UTILITY = identity("utility", "admin")
AUCTIONEER = identity("auctioneer")
START, SLOT_LENGTH, REVEAL_OFFSET = 10, 10, 5


def market_config(market_id: str = "m1", sealing_scheme: str = sealing.OWN_KEY, data_model: str = "key-per-tx",
                  tie_rule: str = "average") -> dict:
    return {"market_id": market_id, "sealing": sealing_scheme, "data_model": data_model, "tie_rule": tie_rule,
            "clock": {"mode": "height", "start": START, "slot_length": SLOT_LENGTH, "reveal_offset": REVEAL_OFFSET},
            "lo": 3400, "hi": 10840, "token_chaincode": "token"}


class MarketScenario:
    """One market with registered households; keeps each order's secret to reveal it later."""

    def __init__(self, households: list[str], **config: str) -> None:
        self.world = World({"market": MarketContract(), "token": TokenContract()})
        self.config = market_config(**config)
        self.market_id = self.config["market_id"]
        self.secrets: dict[tuple[int, str, str], bytes] = {}
        self.slot_keys: dict[int, bytes] = {}
        self.world.ok(UTILITY, "market", "create_market", self.config)
        members = [{"fingerprint": AUCTIONEER.fingerprint, "role": "auctioneer"}]
        for household in households:
            members += [{"fingerprint": self.prosumer(household).fingerprint, "role": "prosumer",
                         "household": household},
                        {"fingerprint": self.meter(household).fingerprint, "role": "meter", "household": household}]
        self.world.ok(UTILITY, "market", "register", self.market_id, members)
        self.world.ok(UTILITY, "token", "set_settler", "market")
        accounts = {h: self.prosumer(h).fingerprint for h in households} | {"grid": UTILITY.fingerprint}
        self.world.ok(UTILITY, "token", "open_accounts", accounts)

    @staticmethod
    def prosumer(household: str) -> Creator:
        return identity(f"prosumer-{household}")

    @staticmethod
    def meter(household: str) -> Creator:
        return identity(f"meter-{household}")

    def call(self, creator: Creator, function: str, *args: object) -> ChaincodeResponse:
        return self.world.call(creator, "market", function, self.market_id, *args)

    def ok(self, creator: Creator, function: str, *args: object) -> object:
        return self.world.ok(creator, "market", function, self.market_id, *args)

    def publish_key(self, slot: int = 0) -> None:
        private, public = sealing.new_key_pair()
        self.slot_keys[slot] = private
        self.ok(AUCTIONEER, "publish_key", slot, public.hex())

    def seal(self, order: Order, slot: int = 0, plaintext: bytes | None = None) -> tuple[bytes, bytes]:
        """(sealed bytes to post, secret to reveal); `plaintext` overrides the order's canonical bytes."""
        data = order.to_bytes(self.market_id, slot) if plaintext is None else plaintext
        scheme = self.config["sealing"]
        if scheme == sealing.OWN_KEY:
            sealed, secret = sealing.seal_own_key(data)
        elif scheme == sealing.COMMIT_REVEAL:
            sealed, secret = sealing.commit(data)
        else:
            sealed, secret = sealing.seal_to(sealing.public_key_of(self.slot_keys[slot]), data), b""
        return sealed, secret

    def bid(self, household: str, side: str, quantity_wh: int, price: int, slot: int = 0,
            plaintext: bytes | None = None) -> ChaincodeResponse:
        """Post a sealed order; its secret is kept for the reveal if the order was accepted."""
        sealed, secret = self.seal(Order(household, side, quantity_wh, price), slot, plaintext)
        response = self.call(self.prosumer(household), "submit_order", slot, side, sealed.hex())
        if response.ok:
            self.secrets[(slot, side, household)] = secret
        return response

    def reveal(self, household: str, side: str, slot: int = 0) -> ChaincodeResponse:
        return self.call(self.prosumer(household), "reveal", slot, side,
                         self.secrets[(slot, side, household)].hex())

    def to_reveal_phase(self, slot: int = 0) -> None:
        self.world.height = START + slot * SLOT_LENGTH + REVEAL_OFFSET
        self.ok(UTILITY, "close_bids", slot)

    def reveal_all(self, slot: int = 0) -> None:
        if self.config["sealing"] == sealing.AUCTIONEER_KEY:
            self.ok(AUCTIONEER, "mark_end", slot, self.slot_keys[slot].hex())
            return
        for (secret_slot, side, household) in list(self.secrets):
            if secret_slot == slot:
                assert self.reveal(household, side, slot).ok

    def clear(self, slot: int = 0) -> dict:
        self.world.height = START + (slot + 1) * SLOT_LENGTH
        self.ok(UTILITY, "close_reveals", slot)
        return self.ok(UTILITY, "clear", slot)  # type: ignore[return-value]

    def settle(self, slot: int = 0) -> dict:
        self.world.height = START + (slot + 2) * SLOT_LENGTH
        return self.ok(UTILITY, "settle", slot)  # type: ignore[return-value]

    def balance(self, account: str) -> int:
        return self.world.ok(UTILITY, "token", "balance", account)  # type: ignore[return-value]
