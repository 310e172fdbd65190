"""Settlement on the ledger: a slot's stored result, allocations and meter readings in, the settlement record out
(computed by the shared gridledger.common.market.settlement, which `market verify` runs too), plus the counters
the experiment reports per slot."""

from __future__ import annotations

import json

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.errors import not_found
from gridledger.common.market.allocation import Allocation
from gridledger.common.market.book import COUNTERS
from gridledger.common.market.config import MarketConfig
from gridledger.common.market.settlement import Reading, settle

from . import keys


def read_readings(stub: ChaincodeStub, market_id: str, slot: int) -> dict[str, Reading]:
    readings = {}
    for key, value in stub.get_state_by_partial_composite_key(keys.READING, [market_id, str(slot)]):
        record = json.loads(value)
        readings[stub.split_composite_key(key)[1][2]] = Reading(record["use_wh"], record["gen_wh"])
    return readings


def settlement_record(config: MarketConfig, slot: int, result: dict, allocations: dict,
                      readings: dict[str, Reading]) -> dict:
    """The stored settlement: the shared computation's output with the inputs it used, so it can be re-checked."""
    settled = settle(Allocation.from_json(allocations), result["price"], readings, config.lo, config.hi)
    return {"market_id": config.market_id, "slot": slot, "price": result["price"], "lo": config.lo,
            "hi": config.hi, "internal_wh": result["volume_wh"], **settled.to_json(),
            "readings": {p: {"use_wh": r.use_wh, "gen_wh": r.gen_wh} for p, r in sorted(readings.items())}}


def settle_slot(stub: ChaincodeStub, config: MarketConfig, slot: int) -> dict:
    result_raw, allocations_raw = stub.get_states([keys.of_slot(keys.RESULT, config.market_id, slot),
                                                   keys.of_slot(keys.ALLOCATIONS, config.market_id, slot)])
    if result_raw is None or allocations_raw is None:
        raise not_found(f"slot {slot} has no clearing result")
    return settlement_record(config, slot, json.loads(result_raw), json.loads(allocations_raw),
                             read_readings(stub, config.market_id, slot))


def counters_of(stub: ChaincodeStub, market_id: str, slot: int | None) -> dict[str, int]:
    """Order exclusion counters (from results) and missing readings (from settlements), for one slot or all."""
    scope = [market_id] if slot is None else [market_id, str(slot)]
    totals = dict.fromkeys((*COUNTERS, "missing_readings", "slots_cleared", "slots_settled"), 0)
    for _, value in stub.get_state_by_partial_composite_key(keys.RESULT, scope):
        totals["slots_cleared"] += 1
        for name, count in json.loads(value)["counters"].items():
            totals[name] += count
    for _, value in stub.get_state_by_partial_composite_key(keys.SETTLEMENT, scope):
        totals["slots_settled"] += 1
        totals["missing_readings"] += json.loads(value)["missing_readings"]
    return totals
