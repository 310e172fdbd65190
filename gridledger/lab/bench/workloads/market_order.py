"""market-order: sealed orders into the energy market (docs/market.md), the transaction an experiment sends most.

Each worker, as its organisation's admin, creates a market of its own whose clock starts far in the future (so
every slot stays in its bid phase for the whole round), issues `participants` prosumer identities from its
organisation's CA and registers them. Transaction i is then a `submit_order` by participant i mod N, buy and sell
in turn, into slot i // (2N): with the key-per-tx data model every order writes its own key, so none conflicts,
and every order reads the market, the submitter's registration and the slot's phase, as a real bid does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gridledger.common import msp
from gridledger.common.market.orders import Order
from gridledger.common.market.sealing import commit, seal_own_key
from gridledger.common.material import load_member
from gridledger.lab.bench.workloads.base import CHAINCODE_ROOT, SETUP_RETRY, Transaction, WorkerSlot, Workload
from gridledger.lab.population import PROSUMER, IdentityIssuer
from gridledger.sdk import Contract

FAR_FUTURE = 10**12  # clock start (a block height never reached): slots stay open for bids
REGISTER_CHUNK = 500
CATCH_UP_TRANSACTIONS = 2  # committed after the registration, so every endorser has seen it before the round
SEALERS = {"commit-reveal": lambda data: commit(data)[0], "own-key": lambda data: seal_own_key(data)[0]}


class MarketOrder(Workload):
    """Options: participants (per worker, default 50), sealing (commit-reveal or own-key), quantity_wh, price."""

    name = "market-order"
    chaincode = "market"
    chaincode_path = CHAINCODE_ROOT / "market"

    def __init__(self, slot: WorkerSlot, options: Mapping[str, Any]) -> None:
        super().__init__(slot, options)
        if slot.crypto_dir is None:
            raise ValueError("market-order issues identities and needs the worker's crypto folder")
        self.sealing = str(self.options.get("sealing", "commit-reveal"))
        if self.sealing not in SEALERS:
            raise ValueError(f"market-order: sealing must be one of {', '.join(SEALERS)}")
        self.market_id = f"bench-{slot.prefix}"[:64]
        issuer = IdentityIssuer(slot.crypto_dir, slot.msp_id)
        self.participants = [(f"h-{slot.worker}-{i}", issuer.issue(f"bench-{slot.prefix}-{i}"))
                             for i in range(max(self.option("participants", 50), 1))]
        self.quantity, self.price = self.option("quantity_wh", 500), self.option("price", 8000)

    async def setup(self, contract: Contract) -> None:
        network = contract.network
        admin_identity = load_member(self.slot.crypto_dir, self.slot.msp_id, "admin", [self.slot.msp_id]).identity
        admin = network.gateway.with_identity(admin_identity).network(network.channel_id).contract(self.chaincode)
        config = {"market_id": self.market_id, "sealing": self.sealing, "data_model": "key-per-tx", "lo": 3400,
                  "hi": 10840, "clock": {"mode": "height", "start": FAR_FUTURE, "slot_length": 10,
                                         "reveal_offset": 5}}
        await admin.submit("create_market", json.dumps(config), retry=SETUP_RETRY)
        members = [{"fingerprint": msp.fingerprint(identity.certificate), "role": PROSUMER, "household": household}
                   for household, identity in self.participants]
        for start in range(0, len(members), REGISTER_CHUNK):
            await admin.submit("register", self.market_id, json.dumps(members[start:start + REGISTER_CHUNK]),
                               retry=SETUP_RETRY)
        for _ in range(CATCH_UP_TRANSACTIONS):
            await admin.submit("clock", retry=SETUP_RETRY)

    def transaction(self, sequence: int) -> Transaction:
        count = len(self.participants)
        household, identity = self.participants[sequence % count]
        turn = sequence // count
        slot, side = turn // 2, ("buy", "sell")[turn % 2]
        sealed = SEALERS[self.sealing](Order(household, side, self.quantity, self.price).to_bytes(self.market_id,
                                                                                                    slot))
        return Transaction("submit_order", (self.market_id, slot, side, sealed.hex()), identity)
