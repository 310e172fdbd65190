"""The DSM chaincode on the in-process ledger, driven by the real house agents and day coordinator: method 1 and
method 2 give the central plans bit for bit, a stalled house never stalls a day, every bad input is refused with
its reason and writes nothing, and stakes, proofs of work and penalties follow the rules of docs/dsm.md."""

from __future__ import annotations

import asyncio

import pytest

from gridledger.common.dsm import pow as proof_of_work
from gridledger.common.dsm.profiles import commitment
from gridledger.common.dsm.rewards import CASES, MILLI
from gridledger.common.dsm.steering import SteeringConfig, candidate, initial_profile, steer
from tests.dsm.inprocess import OPERATOR, dsm_world, house_identity, meter_identity, neighbourhood
from tests.dsm.neighbourhood import houses

HOMES = houses(6, seed=11)
BASES = {home.house_id: home.base for home in HOMES}
CENTRAL = steer(HOMES, SteeringConfig())


def plan_of(world, nb: str, day: int, house: str) -> tuple[int, ...]:
    return tuple(world.ok(OPERATOR, "dsm", "get_plan", nb, day, house))


@pytest.mark.parametrize("method", ["method1", "method2"])
def test_both_methods_plan_exactly_what_central_profile_steering_plans(method: str) -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, method=method))
    record, timing = asyncio.run(hood.coordinator.run(0, BASES))
    assert record["status"] == "planned" and record["iteration"] == CENTRAL.iteration > 3
    assert [plan_of(world, "nb", 0, home.house_id) for home in HOMES] == list(CENTRAL.profiles)
    assert tuple(record["aggregate"]) == CENTRAL.aggregate
    assert tuple(record["improvements_mw"]) == CENTRAL.improvements_mw
    assert timing.transactions >= 1 + len(HOMES) + 1


def test_a_house_that_stays_silent_is_skipped_and_the_day_still_ends() -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, method="method2"))
    silent = hood.houses[2]

    async def nothing(*_: object) -> None:
        await asyncio.sleep(5)  # beyond the 0.2 s window

    silent.offer = nothing  # the house sends its initial plan, then never offers again
    record, _ = asyncio.run(hood.coordinator.run(0, BASES))
    assert record["status"] == "planned"
    assert record["skipped"][silent.house_id] == record["iteration"] + 1
    assert silent.house_id not in record["winners"]


def _iterating_day(method: str = "method2"):
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, method=method))
    operator = hood.coordinator.operator
    asyncio.run(operator.submit("open_day", "nb", 0))
    for agent in hood.houses:
        asyncio.run(agent.send_initial(0, agent_base(agent)))
    asyncio.run(operator.submit("start_iterations", "nb", 0))
    return world, hood


def agent_base(agent) -> tuple[int, ...]:
    return BASES[agent.house_id]


def state_of(world) -> dict:
    return {ns: dict(values) for ns, values in world.state.items()}


def refused(world, who, function: str, *args: object) -> tuple[int, str]:
    before = state_of(world)
    response = world.call(who, "dsm", function, *args)
    assert not response.ok
    assert state_of(world) == before  # nothing written
    return response.status, response.message


def test_bad_reveals_and_offers_are_refused_with_the_broken_rule_and_write_nothing() -> None:
    world, _ = _iterating_day()
    record = world.ok(OPERATOR, "dsm", "get_day", "nb", 0)
    aggregate = tuple(record["aggregate"])
    home = HOMES[0]
    me = house_identity(home.house_id)
    current = initial_profile(home)
    found = candidate(0, home, current, aggregate)
    salt = bytes(16)
    # offers outside the window, from strangers, malformed
    assert refused(world, me, "offer", "nb", 0, 1, found.gain, commitment(found.profile, salt))[0] == 409
    assert refused(world, house_identity("stranger"), "offer", "nb", 0, 0, 1, "00" * 32)[0] == 403
    assert "64 lowercase hex" in refused(world, me, "offer", "nb", 0, 0, 1, "xyz")[1]
    assert "(gain) of offer 'many' is not a decimal integer" in refused(world, me, "offer", "nb", 0, 0, "many",
                                                                           "00" * 32)[1]
    # before every house offered, only select may choose
    assert "have not offered in iteration 0" in refused(world, me, "reveal", "nb", 0, list(found.profile),
                                                        salt.hex())[1]
    # a false improvement wins the selection but cannot be revealed
    world.ok(me, "dsm", "offer", "nb", 0, 0, found.gain + 1, commitment(found.profile, salt))
    assert refused(world, me, "offer", "nb", 0, 0, found.gain, commitment(found.profile, salt))[0] == 409
    assert world.ok(OPERATOR, "dsm", "select", "nb", 0)["chosen"] == home.house_id
    status, message = refused(world, me, "reveal", "nb", 0, list(found.profile), salt.hex())
    assert status == 400 and f"gains {found.gain} over the recorded aggregate" in message
    assert "do not match the commitment" in refused(world, me, "reveal", "nb", 0, list(found.profile),
                                                    "11" * 16)[1]
    impossible = list(current)
    impossible[0] += 100_000
    impossible[1] -= 100_000
    world2, _ = _iterating_day()
    assert "no candidate gains more" in refused(world2, me, "offer", "nb", 0, 0, 10**30,
                                                commitment(tuple(impossible), salt))[1]
    world2.ok(me, "dsm", "offer", "nb", 0, 0, found.gain, commitment(tuple(impossible), salt))
    world2.ok(OPERATOR, "dsm", "select", "nb", 0)
    assert "battery could make" in refused(world2, me, "reveal", "nb", 0, impossible, salt.hex())[1]
    assert "96 integer watts" in refused(world2, me, "reveal", "nb", 0, impossible[:95], salt.hex())[1]
    # another house cannot reveal for the chosen one; a passed-over house cannot come back in this iteration
    assert refused(world2, house_identity(HOMES[1].house_id), "reveal", "nb", 0, impossible, salt.hex())[0] == 403
    assert world2.ok(OPERATOR, "dsm", "select", "nb", 0)["status"] == "planned"  # passed over; no other offer
    assert world2.ok(OPERATOR, "dsm", "get_day", "nb", 0)["winners"] == []


def test_set_up_refusals_name_the_rule() -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES[:2]))
    me = house_identity(HOMES[0].house_id)
    assert refused(world, me, "create_neighbourhood", {"neighbourhood_id": "x"})[0] == 403
    assert "unknown configuration fields" in refused(world, OPERATOR, "create_neighbourhood",
                                                    {"neighbourhood_id": "x", "speed": 1})[1]
    assert refused(world, OPERATOR, "create_neighbourhood", {"neighbourhood_id": "nb"})[0] == 409
    assert refused(world, me, "register", "nb", [])[0] == 403
    assert "role must be one of" in refused(world, OPERATOR, "register", "nb",
                                            [{"fingerprint": "a" * 64, "role": "boss", "house": "h"}])[1]
    assert "already joined" in refused(world, me, "join", "nb", HOMES[0].battery.to_json())[1]
    assert refused(world, meter_identity(HOMES[0].house_id), "join", "nb", HOMES[0].battery.to_json())[0] == 403
    assert refused(world, OPERATOR, "plan_day", "nb", 0)[0] == 404  # not opened
    world.ok(OPERATOR, "dsm", "open_day", "nb", 0)
    assert refused(world, OPERATOR, "open_day", "nb", 0)[0] == 409
    assert refused(world, me, "plan_day", "nb", 0)[0] == 403  # the operator coordinates under PoS
    assert "96 integer watts" in refused(world, me, "submit_base", "nb", 0, [1, 2, 3])[1]
    assert "sending the initial profile belongs to method2" in refused(world, me, "submit_initial", "nb", 0,
                                                                    [0] * 96)[1]
    assert "day must be an integer" in refused(world, me, "submit_base", "nb", -1, [0] * 96)[1]
    asyncio.run(hood.houses[0].send_base(0, HOMES[0].base))
    assert "already sent" in refused(world, me, "submit_base", "nb", 0, [0] * 96)[1]


def test_the_forger_is_rewarded_by_its_case_and_the_stake_value_grows_by_the_reward() -> None:
    for case in (1, 2, 3, 4):
        world = dsm_world()
        hood = asyncio.run(neighbourhood(world, HOMES, reward_case=case))
        record, _ = asyncio.run(hood.coordinator.run(0, BASES))
        initial_total = sum(home.battery.capacity_wh for home in HOMES) * MILLI
        forger = record["forger"]
        assert record["stake_value_milli"] == initial_total + record["reward_milli"]
        stake = world.ok(OPERATOR, "dsm", "get_stake", "nb", forger)
        assert stake["stake_milli"] == stake["initial_stake_wh"] * MILLI + record["reward_milli"]
        totals = {h: sum(g for w, g in zip(record["winners"], record["improvements_mw"], strict=True) if w == h)
                  for h in record["planners"]}
        expected = CASES[case].reward_milli(stake["initial_stake_wh"], totals[forger])
        assert record["reward_milli"] == expected
        if case in (1, 2):
            assert totals[forger] == max(totals.values())


def test_proof_of_work_decides_who_coordinates_and_is_checked_on_chain() -> None:
    world = dsm_world()
    asyncio.run(neighbourhood(world, HOMES, coordination="pow"))
    opened = world.ok(OPERATOR, "dsm", "open_day", "nb", 0)
    me = house_identity(HOMES[0].house_id)
    seed = bytes.fromhex(opened["seed"])
    wrong = next(n for n in range(10_000) if not proof_of_work.solves(seed, HOMES[0].house_id, n, 250))
    assert "not a proof of work" in refused(world, me, "claim_pow", "nb", 0, wrong)[1]
    assert "no proof of work has won" in refused(world, OPERATOR, "plan_day", "nb", 0)[1]
    right = next(n for n in range(100_000) if proof_of_work.solves(seed, HOMES[0].house_id, n, 250))
    world.ok(me, "dsm", "claim_pow", "nb", 0, right)
    other = HOMES[1].house_id
    theirs = next(n for n in range(100_000) if proof_of_work.solves(seed, other, n, 250))
    assert "already won" in refused(world, house_identity(other), "claim_pow", "nb", 0, theirs)[1]
    assert refused(world, OPERATOR, "plan_day", "nb", 0)[0] == 403  # the winner coordinates, not the operator


def test_a_whole_proof_of_work_day_with_per_house_delays() -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, coordination="pow"))
    record, timing = asyncio.run(hood.coordinator.run(0, BASES, {h.house_id: 0.0 for h in HOMES}))
    assert record["status"] == "planned" and record["coordinator"] in BASES
    assert record["forger"] == record["coordinator"] and record["reward_milli"] == 0
    assert timing.pow_attempts >= 1
    assert [plan_of(world, "nb", 0, h.house_id) for h in HOMES] == list(CENTRAL.profiles)


def test_a_meter_reading_that_deviates_from_the_plan_pays_a_penalty_through_the_token() -> None:
    world = dsm_world()
    hood = asyncio.run(neighbourhood(world, HOMES, penalty_per_kwh=300))
    asyncio.run(hood.coordinator.run(0, BASES))
    house = HOMES[0].house_id
    plan = list(plan_of(world, "nb", 0, house))
    meter = meter_identity(house)
    assert refused(world, meter, "submit_reading", "nb", 0, HOMES[1].house_id, plan)[0] == 403
    assert refused(world, house_identity(house), "submit_reading", "nb", 0, house, plan)[0] == 403
    reading = [plan[0] + 4000, *plan[1:]]  # 4 kW too much for 15 minutes: 1 kWh
    result = world.ok(meter, "dsm", "submit_reading", "nb", 0, house, reading)
    assert result == {"house": house, "deviation_wh": 1000, "penalty": 300}
    assert world.ok(OPERATOR, "token", "balance", house) == -300
    assert world.ok(OPERATOR, "token", "balance", "grid") == 300
    assert refused(world, meter, "submit_reading", "nb", 0, house, reading)[0] == 409
    assert world.ok(house_identity(house), "dsm", "get_penalty", "nb", 0, house)["penalty"] == 300


def test_once_every_house_offered_only_the_best_may_reveal_and_no_select_is_needed() -> None:
    world, _ = _iterating_day()
    aggregate = tuple(world.ok(OPERATOR, "dsm", "get_day", "nb", 0)["aggregate"])
    salt = bytes(16)
    found = {home.house_id: candidate(0, home, initial_profile(home), aggregate) for home in HOMES}
    for home in HOMES:
        offer = found[home.house_id]
        world.ok(house_identity(home.house_id), "dsm", "offer", "nb", 0, 0, offer.gain,
                 commitment(offer.profile, salt))
    best = min(found, key=lambda house: (-found[house].gain, house))
    other = next(house for house in found if house != best)
    status, message = refused(world, house_identity(other), "reveal", "nb", 0, list(found[other].profile), salt.hex())
    assert status == 403 and f"house {best} was chosen" in message
    summary = world.ok(house_identity(best), "dsm", "reveal", "nb", 0, list(found[best].profile), salt.hex())
    assert summary["status"] == "iterating" and summary["iteration"] == 1
    assert world.ok(OPERATOR, "dsm", "get_day", "nb", 0)["winners"] == [best]
