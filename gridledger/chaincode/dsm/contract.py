"""DsmContract: Profile Steering coordinated by the ledger, the transactions and queries of docs/dsm.md.

Method 1 runs the whole Profile Steering inside one endorsement (plan_day) from base loads the houses published;
every endorsing organisation computes the same integers with common/dsm. Method 2 keeps base loads private: the
contract is the coordinator, collecting each iteration's offers (gain and commitment), choosing the largest, and
checking the winner's revealed candidate against its commitment, its battery and the recorded aggregate before
applying it, so no party has to trust another's arithmetic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gridledger.chaincode import ChaincodeStub, Contract, query, transaction
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.errors import bad_request, conflict, forbidden, not_found
from gridledger.common.dsm import pow as proof_of_work
from gridledger.common.dsm.battery import Battery, BatteryError, check_change
from gridledger.common.dsm.config import MAX_DAY, METHOD1, METHOD2, POW, DsmConfig
from gridledger.common.dsm.profiles import SALT_BYTES, ProfileError, check_profile, commitment
from gridledger.common.dsm.rewards import MILLI
from gridledger.common.dsm.steering import (
    House,
    add,
    aggregate_of,
    best_offer,
    gain_of,
    improvement_mw,
    iterate,
    squared_norm,
    start,
    subtract,
)
from gridledger.common.fields import ConfigError

from . import keys, registry
from .days import CHOSEN, ITERATING, OPEN, PLANNED, Day, day_seed, finish, read_day, require_status, write_day
from .registry import HOUSE, METER, Neighbourhood

MAX_GAIN = 10**30


def _day_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAY:
        raise bad_request(f"day must be an integer in 0..{MAX_DAY}, got {value!r}")
    return value


def _profile(value: object, what: str) -> tuple[int, ...]:
    try:
        return check_profile(value, what)
    except ProfileError as exc:
        raise bad_request(str(exc)) from None


def _method(neighbourhood: Neighbourhood, method: str, action: str) -> None:
    if neighbourhood.config.method != method:
        raise conflict(f"{neighbourhood.config.neighbourhood_id} plans by {neighbourhood.config.method}; "
                       f"{action} belongs to {method}")


def _house_of(nb: str, day: Day, member: registry.Member | None) -> str:
    """The submitter's house, if it is a registered house that had joined when the day opened."""
    house = registry.require_role(member, HOUSE)
    if house not in day.houses:
        raise forbidden(f"house {house} had not joined {nb} when day {day.number} opened")
    return house


def _require_coordinator(stub: ChaincodeStub, neighbourhood: Neighbourhood, day: Day,
                         member: registry.Member | None) -> None:
    """The operator coordinates under proof of stake; the house whose proof won the day under proof of work."""
    if neighbourhood.config.coordination != POW:
        registry.require_operator(stub, neighbourhood)
        return
    if not day.coordinator:
        raise conflict(f"no proof of work has won day {day.number} yet")
    if member is None or member.role != HOUSE or member.house != day.coordinator:
        raise forbidden(f"house {day.coordinator} won day {day.number} by proof of work and coordinates it")


def _publish_once(stub: ChaincodeStub, nb: str, day: int, method: str, what: str,
                  key_of: Callable[[str, int, str], str], profile: tuple[int, ...]) -> None:
    """A house's one contribution of `what` to an open day of a `method` neighbourhood."""
    neighbourhood, member = registry.read(stub, nb)
    _method(neighbourhood, method, f"sending the {what}")
    record = read_day(stub, nb, _day_number(day))
    house = _house_of(nb, record, member)
    require_status(record, OPEN, action=f"sending the {what}")
    key = key_of(nb, record.number, house)
    if stub.get_state(key) is not None:
        raise conflict(f"house {house} already sent its {what} for day {record.number}")
    stub.put_state(key, encode_value(list(profile)))


def _offers(stub: ChaincodeStub, nb: str, record: Day) -> dict[str, int]:
    """house -> claimed gain of every offer in the day's current iteration."""
    entries = stub.get_state_by_partial_composite_key(keys.OFFER, [nb, str(record.number), str(record.iteration)])
    return {stub.split_composite_key(key)[1][3]: json.loads(raw)["gain"] for key, raw in entries}


def _worth_it(neighbourhood: Neighbourhood, record: Day, gain: int) -> bool:
    """Whether a claimed gain improves the aggregate by at least epsilon (else Profile Steering stops)."""
    return gain > 0 and improvement_mw(squared_norm(record.aggregate), gain) >= \
        neighbourhood.config.steering.epsilon_mw


def _chosen_without_select(stub: ChaincodeStub, nb: str, neighbourhood: Neighbourhood, record: Day) -> Day:
    """The day with its best offer chosen, when every house of the day has offered and that offer is worth an
    iteration; otherwise only select may decide (someone may still come, or the day ends)."""
    offers = _offers(stub, nb, record)
    waiting = [house for house in record.planners if house not in offers]
    if waiting:
        raise conflict(f"{len(waiting)} house(s) have not offered in iteration {record.iteration} (first: "
                       f"{waiting[0]}); select closes the window")
    best = best_offer(offers, record.passed_over)
    if best is None or not _worth_it(neighbourhood, record, best[1]):
        raise conflict("no offer is worth an iteration: select ends the day")
    return replace(record, status=CHOSEN, chosen=best[0], chosen_gain=best[1])


def _batteries(stub: ChaincodeStub, nb: str, houses: tuple[str, ...]) -> list[Battery]:
    return [Battery.from_json(json.loads(raw)) for raw in stub.get_states([keys.house(nb, h) for h in houses])]


def _close_open_day(stub: ChaincodeStub, nb: str, day: int, method: str, object_type: str,
                    action: str) -> tuple[Neighbourhood, Day, dict[str, bytes]]:
    """The coordinator's step that ends an open day's collection: the neighbourhood, the day, and house -> value
    of what each house sent (base loads or initial profiles), in the day's house order."""
    neighbourhood, member = registry.read(stub, nb)
    _method(neighbourhood, method, action)
    record = read_day(stub, nb, _day_number(day))
    _require_coordinator(stub, neighbourhood, record, member)
    require_status(record, OPEN, action=action)
    entries = stub.get_state_by_partial_composite_key(object_type, [nb, str(record.number)])
    sent = {stub.split_composite_key(key)[1][2]: raw for key, raw in entries}
    return neighbourhood, record, {house: sent[house] for house in record.houses if house in sent}


class DsmContract(Contract):
    """Neighbourhoods of houses with batteries that flatten their load together by Profile Steering."""

    # ---- set-up ----

    @transaction
    def create_neighbourhood(self, stub: ChaincodeStub, config_json: dict) -> dict:
        """An org admin creates a neighbourhood and so becomes its operator."""
        if stub.creator.role != registry.ADMIN:
            raise forbidden("only an org admin may create a neighbourhood (and so become its operator)")
        try:
            config = DsmConfig.from_json(config_json)
        except ConfigError as exc:
            raise bad_request(str(exc)) from None
        key = keys.neighbourhood(config.neighbourhood_id)
        if stub.get_state(key) is not None:
            raise conflict(f"neighbourhood {config.neighbourhood_id!r} already exists")
        neighbourhood = Neighbourhood(config, stub.creator.msp_id)
        stub.put_state(key, encode_value(neighbourhood.to_json()))
        return neighbourhood.to_json()

    @transaction
    def register(self, stub: ChaincodeStub, nb: str, members_json: list) -> int:
        """The operator registers house and meter certificates (fingerprint, role, house); returns how many."""
        neighbourhood, _ = registry.read(stub, nb)
        registry.require_operator(stub, neighbourhood)
        if not isinstance(members_json, list) or not 0 < len(members_json) <= registry.MAX_MEMBERS_PER_CALL:
            raise bad_request(f"members_json is a list of 1..{registry.MAX_MEMBERS_PER_CALL} members")
        for fingerprint, member in [registry.parse_new_member(entry) for entry in members_json]:
            registry.write_member(stub, nb, fingerprint, member)
        return len(members_json)

    @transaction
    def join(self, stub: ChaincodeStub, nb: str, battery_json: dict) -> dict:
        """A house joins once with its battery; the battery's capacity becomes its initial stake."""
        _, member = registry.read(stub, nb)
        house = registry.require_role(member, HOUSE)
        try:
            battery = Battery.from_json(battery_json)
        except BatteryError as exc:
            raise bad_request(str(exc)) from None
        key = keys.house(nb, house)
        if stub.get_state(key) is not None:
            raise conflict(f"house {house} has already joined {nb} (its battery is its stake and stays fixed)")
        stub.put_state(key, encode_value(battery.to_json()))
        stub.put_state(keys.stake(nb, house), encode_value(battery.capacity_wh * MILLI))
        return {"house": house, "initial_stake_wh": battery.capacity_wh}

    # ---- a planning day ----

    @transaction
    def open_day(self, stub: ChaincodeStub, nb: str, day: int) -> dict:
        """The operator opens a day for every house that has joined; its seed comes from the endorsers' tip."""
        neighbourhood, _ = registry.read(stub, nb)
        registry.require_operator(stub, neighbourhood)
        number = _day_number(day)
        if stub.get_state(keys.day(nb, number)) is not None:
            raise conflict(f"day {number} of {nb} is already open")
        houses = tuple(stub.split_composite_key(key)[1][1]
                       for key, _ in stub.get_state_by_partial_composite_key(keys.HOUSE, [nb]))
        if not houses:
            raise conflict(f"no house has joined {nb} yet")
        record = Day(number, OPEN, houses, day_seed(nb, number, stub.block_hash))
        write_day(stub, nb, record)
        return record.to_json()

    @transaction
    def claim_pow(self, stub: ChaincodeStub, nb: str, day: int, nonce: int) -> dict:
        """Proof of work: the first house with a valid proof for the open day coordinates it."""
        neighbourhood, member = registry.read(stub, nb)
        if neighbourhood.config.coordination != POW:
            raise conflict(f"{nb} is coordinated by proof of stake")
        record = read_day(stub, nb, _day_number(day))
        house = _house_of(nb, record, member)
        require_status(record, OPEN, action="claim the day")
        if record.coordinator:
            raise conflict(f"house {record.coordinator} already won day {record.number}")
        if isinstance(nonce, bool) or not isinstance(nonce, int) or \
                not proof_of_work.solves(bytes.fromhex(record.seed), house, nonce,
                                         neighbourhood.config.pow_target_bits):
            raise bad_request(f"nonce {nonce!r} is not a proof of work for house {house} and day {record.number}")
        write_day(stub, nb, replace(record, coordinator=house, pow_nonce=nonce))
        return {"coordinator": house, "nonce": nonce}

    # ---- method 1 ----

    @transaction
    def submit_base(self, stub: ChaincodeStub, nb: str, day: int, base_json: list) -> None:
        """Method 1: a house publishes its base load for the day (96 W values), once."""
        _publish_once(stub, nb, day, METHOD1, "base load", keys.base, _profile(base_json, "base_json"))

    @transaction
    def plan_day(self, stub: ChaincodeStub, nb: str, day: int) -> dict:
        """Method 1: run Profile Steering for every house that sent its base load, store each plan, close the
        day. Houses that sent nothing are left out of the day."""
        neighbourhood, record, bases = _close_open_day(stub, nb, day, METHOD1, keys.BASE, "plan the day")
        planners = tuple(bases)
        homes = [House(house, tuple(json.loads(bases[house])), battery)
                 for house, battery in zip(planners, _batteries(stub, nb, planners), strict=True)]
        initial = start(homes)
        final = iterate(initial, homes, neighbourhood.config.steering)
        for house, profile in zip(planners, final.profiles, strict=True):
            stub.put_state(keys.profile(nb, record.number, house), encode_value(list(profile)))
        planned = replace(record, planners=planners, base_aggregate=aggregate_of([home.base for home in homes]),
                          initial_aggregate=initial.aggregate, aggregate=final.aggregate, iteration=final.iteration,
                          winners=tuple(planners[index] for index in final.winners),
                          improvements_mw=final.improvements_mw)
        closed = finish(stub, nb, neighbourhood.config, planned)
        write_day(stub, nb, closed)
        return _summary(closed)

    # ---- method 2 ----

    @transaction
    def submit_initial(self, stub: ChaincodeStub, nb: str, day: int, profile_json: list) -> None:
        """Method 2: a house publishes its initially planned profile (base load plus battery; the base stays
        private), once, while the day is open."""
        _publish_once(stub, nb, day, METHOD2, "initial profile", keys.profile,
                      _profile(profile_json, "profile_json"))

    @transaction
    def start_iterations(self, stub: ChaincodeStub, nb: str, day: int) -> dict:
        """Method 2: close the initial planning; the houses that sent a profile take part in the iterations."""
        neighbourhood, record, profiles = _close_open_day(stub, nb, day, METHOD2, keys.PROFILE,
                                                          "start the iterations")
        planners = tuple(profiles)
        aggregate = aggregate_of([tuple(json.loads(profiles[house])) for house in planners])
        started = replace(record, status=ITERATING, planners=planners, initial_aggregate=aggregate,
                          aggregate=aggregate)
        if not planners or neighbourhood.config.steering.max_iterations == 0:
            started = finish(stub, nb, neighbourhood.config, started)
        write_day(stub, nb, started)
        return _summary(started)

    @transaction
    def offer(self, stub: ChaincodeStub, nb: str, day: int, iteration: int, gain: int,
              commitment_hex: str) -> None:
        """Method 2: a house offers its candidate for this iteration: the gain it claims (the drop of the
        aggregate's squared 2-norm) and the commitment to the candidate profile."""
        neighbourhood, member = registry.read(stub, nb)
        _method(neighbourhood, METHOD2, "offer")
        record = read_day(stub, nb, _day_number(day))
        house = _house_of(nb, record, member)
        if house not in record.planners:
            raise forbidden(f"house {house} sent no initial profile for day {record.number}")
        require_status(record, ITERATING, action="offer a candidate")
        if iteration != record.iteration:
            raise conflict(f"day {record.number} is at iteration {record.iteration}, not {iteration!r}")
        distance_sq = squared_norm(record.aggregate)
        if isinstance(gain, bool) or not isinstance(gain, int) or not -MAX_GAIN <= gain <= distance_sq:
            raise bad_request(f"gain must be an integer in -{MAX_GAIN}..{distance_sq} (the aggregate's squared "
                              f"distance from flat: no candidate gains more), got {gain!r}")
        if not isinstance(commitment_hex, str) or len(commitment_hex) != 64 or \
                commitment_hex.strip("0123456789abcdef"):
            raise bad_request("commitment_hex is a SHA-256 in 64 lowercase hex digits")
        key = keys.offer(nb, record.number, record.iteration, house)
        if stub.get_state(key) is not None:
            raise conflict(f"house {house} already offered in iteration {record.iteration}")
        stub.put_state(key, encode_value({"gain": gain, "commitment": commitment_hex}))

    @transaction
    def select(self, stub: ChaincodeStub, nb: str, day: int) -> dict:
        """Method 2: close the iteration's offers and choose the largest gain (lowest house id on a tie). Called
        again while the chosen house has not revealed, it passes that house over and chooses the next. The day
        ends when no offer is left or the best improvement is below epsilon."""
        neighbourhood, member = registry.read(stub, nb)
        _method(neighbourhood, METHOD2, "select")
        record = read_day(stub, nb, _day_number(day))
        _require_coordinator(stub, neighbourhood, record, member)
        require_status(record, ITERATING, CHOSEN, action="select")
        offers = _offers(stub, nb, record)
        if record.status == ITERATING:
            missing = {h: record.skipped.get(h, 0) + 1 for h in record.planners if h not in offers}
            record = replace(record, skipped={**record.skipped, **missing})
        else:
            record = replace(record, passed_over=(*record.passed_over, record.chosen))
        best = best_offer(offers, record.passed_over)
        if best is None or not _worth_it(neighbourhood, record, best[1]):
            closed = finish(stub, nb, neighbourhood.config, record)
            write_day(stub, nb, closed)
            return _summary(closed)
        chosen = replace(record, status=CHOSEN, chosen=best[0], chosen_gain=best[1])
        write_day(stub, nb, chosen)
        return _summary(chosen)

    @transaction
    def reveal(self, stub: ChaincodeStub, nb: str, day: int, profile_json: list, salt_hex: str) -> dict:
        """Method 2: the chosen house reveals its candidate. It must open the commitment, be a change its battery
        could make, and gain exactly what was claimed over the recorded aggregate; then it is applied. Once every
        house of the day has offered, the best one may reveal without a select: the window has nothing left to
        wait for, so the choice is already determined (two exchanges per iteration, as in the thesis)."""
        neighbourhood, member = registry.read(stub, nb)
        record = read_day(stub, nb, _day_number(day))
        house = _house_of(nb, record, member)
        require_status(record, ITERATING, CHOSEN, action="reveal a candidate")
        if record.status == ITERATING:
            record = _chosen_without_select(stub, nb, neighbourhood, record)
        if house != record.chosen:
            raise forbidden(f"house {record.chosen} was chosen in iteration {record.iteration}, not {house}")
        candidate = _profile(profile_json, "profile_json")
        try:
            salt = bytes.fromhex(salt_hex)
        except (TypeError, ValueError):
            raise bad_request("salt_hex is not hex") from None
        if len(salt) != SALT_BYTES:
            raise bad_request(f"the salt is {SALT_BYTES} bytes")
        offer_key = keys.offer(nb, record.number, record.iteration, house)
        profile_key = keys.profile(nb, record.number, house)
        offer_raw, house_raw, current_raw = stub.get_states([offer_key, keys.house(nb, house), profile_key])
        if offer_raw is None or current_raw is None or house_raw is None:
            raise not_found(f"house {house} has no offer or profile recorded for this iteration")
        if commitment(candidate, salt) != json.loads(offer_raw)["commitment"]:
            raise bad_request("the revealed profile and salt do not match the commitment offered")
        current = tuple(json.loads(current_raw))
        try:
            check_change(Battery.from_json(json.loads(house_raw)), current, candidate)
        except BatteryError as exc:
            raise bad_request(f"not a change house {house}'s battery could make: {exc}") from None
        gain = gain_of(record.aggregate, current, candidate)
        if gain != record.chosen_gain:
            raise bad_request(f"the candidate gains {gain} over the recorded aggregate, not the {record.chosen_gain} "
                              "offered")
        stub.put_state(profile_key, encode_value(list(candidate)))
        iteration = record.iteration + 1
        applied = replace(record, status=ITERATING, iteration=iteration, chosen="", chosen_gain=0, passed_over=(),
                          aggregate=add(subtract(record.aggregate, current), candidate),
                          winners=(*record.winners, house),
                          improvements_mw=(*record.improvements_mw,
                                           improvement_mw(squared_norm(record.aggregate), gain)))
        if iteration >= neighbourhood.config.steering.max_iterations:
            applied = finish(stub, nb, neighbourhood.config, applied)
        write_day(stub, nb, applied)
        return _summary(applied)

    # ---- metering ----

    @transaction
    def submit_reading(self, stub: ChaincodeStub, nb: str, day: int, house: str, reading_json: list) -> dict:
        """A house's meter reports what the house drew in each slot of a planned day; the deviation from the plan
        costs penalty_per_kwh, paid from the house's token account to the operator's `grid` account."""
        neighbourhood, member = registry.read(stub, nb)
        if registry.require_role(member, METER) != house:
            raise forbidden(f"the submitter is the meter of {member.house if member else '?'}, not of {house}")
        record = read_day(stub, nb, _day_number(day))
        require_status(record, PLANNED, action="submit a meter reading")
        reading = _profile(reading_json, "reading_json")
        reading_key = keys.reading(nb, record.number, house)
        existing, plan_raw = stub.get_states([reading_key, keys.profile(nb, record.number, house)])
        if existing is not None:
            raise conflict(f"the meter of {house} already reported day {record.number}")
        if plan_raw is None or house not in record.planners:
            raise not_found(f"house {house} has no plan for day {record.number}")
        deviation = sum(abs(a - b) for a, b in zip(reading, json.loads(plan_raw), strict=True))  # slot-watts
        penalty = deviation * neighbourhood.config.penalty_per_kwh // 4000  # 4 slot-watts = 1 Wh
        if penalty:
            response = stub.invoke_chaincode(neighbourhood.config.token_chaincode, "apply_settlement",
                                             [f"{nb}.{house}", record.number, {house: -penalty, "grid": penalty}])
            if not response.ok:
                raise conflict(f"the token chaincode refused the penalty: {response.message}")
        result = {"house": house, "deviation_wh": deviation // 4, "penalty": penalty}
        stub.put_state(reading_key, encode_value({**result, "reading": list(reading)}))
        return result

    # ---- queries ----

    @query
    def get_neighbourhood(self, stub: ChaincodeStub, nb: str) -> dict:
        return registry.read(stub, nb)[0].to_json()

    @query
    def get_day(self, stub: ChaincodeStub, nb: str, day: int) -> dict:
        return read_day(stub, nb, _day_number(day)).to_json()

    @query
    def get_plan(self, stub: ChaincodeStub, nb: str, day: int, house: str) -> list:
        """A house's profile for the day: its plan once the day is planned (method 2: the latest accepted)."""
        return _stored(stub, keys.profile(nb, _day_number(day), house), f"house {house} has no profile for day {day}")

    @query
    def get_base(self, stub: ChaincodeStub, nb: str, day: int, house: str) -> list:
        return _stored(stub, keys.base(nb, _day_number(day), house), f"house {house} sent no base load for day {day}")

    @query
    def get_house(self, stub: ChaincodeStub, nb: str, house: str) -> dict:
        """A house's battery, as it joined."""
        return _stored(stub, keys.house(nb, house), f"house {house} has not joined {nb}")

    @query
    def get_stake(self, stub: ChaincodeStub, nb: str, house: str) -> dict:
        battery_raw, stake_raw = stub.get_states([keys.house(nb, house), keys.stake(nb, house)])
        if battery_raw is None or stake_raw is None:
            raise not_found(f"house {house} has not joined {nb}")
        initial = json.loads(battery_raw)["capacity_wh"]
        return {"house": house, "initial_stake_wh": initial, "stake_milli": json.loads(stake_raw)}

    @query
    def get_penalty(self, stub: ChaincodeStub, nb: str, day: int, house: str) -> dict:
        found = _stored(stub, keys.reading(nb, _day_number(day), house), f"no meter reading of {house} for day {day}")
        return {key: found[key] for key in ("house", "deviation_wh", "penalty")}


def _stored(stub: ChaincodeStub, key: str, missing: str) -> Any:
    """The JSON record under `key`, or 404 with the message `missing`."""
    raw = stub.get_state(key)
    if raw is None:
        raise not_found(missing)
    return json.loads(raw)


def _summary(record: Day) -> dict:
    """What a coordinating transaction answers: enough to drive the next step without another query."""
    return {"day": record.number, "status": record.status, "iteration": record.iteration, "chosen": record.chosen,
            "planners": len(record.planners), "forger": record.forger, "reward_milli": record.reward_milli,
            "distance_sq": squared_norm(record.aggregate) if record.aggregate else 0}
