"""A planning day's record and the transitions between its phases (docs/dsm.md, "A planning day").

open -> (method1) planned by plan_day
open -> (method2) iterating by start_iterations -> [chosen by select -> iterating by reveal]* -> planned

The record carries the Profile Steering state the contract needs to check the next step: the aggregate, every
accepted move and its improvement, the current offer window, and the house chosen to reveal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace

from gridledger.chaincode import ChaincodeStub
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import conflict, not_found
from gridledger.common.dsm.config import POW, DsmConfig
from gridledger.common.dsm.rewards import CASES, forger

from . import keys

OPEN = "open"
ITERATING = "iterating"
CHOSEN = "chosen"
PLANNED = "planned"


@dataclass(frozen=True, slots=True)
class Day:
    """One planning day of a neighbourhood, as stored under keys.day."""

    number: int
    status: str
    houses: tuple[str, ...]  # every house that joined before the day opened, in id order
    seed: str  # hex; binds the proof-of-work puzzle and the stake draw to a block no one chose
    planners: tuple[str, ...] = ()  # the houses that take part (sent what the method needs in time)
    iteration: int = 0
    base_aggregate: tuple[int, ...] = ()  # method1 only: the neighbourhood without batteries
    initial_aggregate: tuple[int, ...] = ()
    aggregate: tuple[int, ...] = ()
    winners: tuple[str, ...] = ()
    improvements_mw: tuple[int, ...] = ()
    chosen: str = ""  # method2: the house that must reveal its candidate for `iteration`
    chosen_gain: int = 0
    passed_over: tuple[str, ...] = ()  # method2: chosen in this iteration but did not reveal in time
    coordinator: str = ""  # pow: the house whose proof won the day
    pow_nonce: int = -1
    forger: str = ""
    reward_milli: int = 0
    stake_value_milli: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # house -> offer windows it missed

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Day:
        tuples = {name: tuple(data[name]) for name in ("houses", "planners", "base_aggregate", "initial_aggregate",
                                                        "aggregate", "winners", "improvements_mw", "passed_over")}
        return cls(**{**data, **tuples})


def read_day(stub: ChaincodeStub, nb: str, number: int) -> Day:
    raw = stub.get_state(keys.day(nb, number))
    if raw is None:
        raise not_found(f"day {number} of {nb} has not been opened")
    return Day.from_json(json.loads(raw))


def write_day(stub: ChaincodeStub, nb: str, day: Day) -> None:
    stub.put_state(keys.day(nb, day.number), encode_value(day.to_json()))


def require_status(day: Day, *allowed: str, action: str) -> None:
    if day.status not in allowed:
        raise conflict(f"day {day.number} is {day.status}; {action} needs it {' or '.join(allowed)}")


def day_seed(nb: str, number: int, block_hash: bytes) -> str:
    return hashlib.sha256(b"gridledger/dsm/day\x00" + nb.encode() + b"\x00" + str(number).encode() + b"\x00"
                          + block_hash).hexdigest()


def finish(stub: ChaincodeStub, nb: str, config: DsmConfig, day: Day) -> Day:
    """Close the day: pick its forger, pay its reward into the stake ledger, record the neighbourhood's stake
    value. Under proof of work the proof's winner coordinated the day and no stake is paid."""
    stakes = dict(stake_ledger(stub, nb))
    planned = replace(day, status=PLANNED, chosen="", chosen_gain=0, passed_over=())
    if not day.planners:
        return replace(planned, stake_value_milli=sum(stakes.values()))
    if config.coordination == POW:
        return replace(planned, forger=day.coordinator, stake_value_milli=sum(stakes.values()))
    totals = [sum(gain for who, gain in zip(day.winners, day.improvements_mw, strict=True) if who == house)
              for house in day.planners]
    initial = initial_stakes_wh(stub, nb, day.planners)
    chosen = day.planners[forger(config.reward_case, initial, totals, bytes.fromhex(day.seed))]
    index = day.planners.index(chosen)
    reward = CASES[config.reward_case].reward_milli(initial[index], totals[index])
    stakes[chosen] += reward
    stub.put_state(keys.stake(nb, chosen), encode_value(stakes[chosen]))
    return replace(planned, forger=chosen, reward_milli=reward, stake_value_milli=sum(stakes.values()))


def stake_ledger(stub: ChaincodeStub, nb: str) -> list[tuple[str, int]]:
    """(house, stake in milli-units) for every house of the neighbourhood, in id order."""
    entries = stub.get_state_by_partial_composite_key(keys.STAKE, [nb])
    return [(stub.split_composite_key(key)[1][1], int(json.loads(raw))) for key, raw in entries]


def initial_stakes_wh(stub: ChaincodeStub, nb: str, houses: tuple[str, ...]) -> list[int]:
    """Each house's initial stake: its battery's capacity when it joined (one batched read)."""
    return [int(json.loads(raw)["capacity_wh"]) for raw in stub.get_states([keys.house(nb, h) for h in houses])]
