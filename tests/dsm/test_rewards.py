"""Stake rewards (the thesis' four cases) and the proof-of-work puzzle."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from gridledger.common.dsm import pow as proof_of_work
from gridledger.common.dsm.rewards import CASES, best_performer, forger, stake_draw


def test_the_four_cases_reward_as_table_6_5_says() -> None:
    stake_wh, improvement_mw = 13_500, 250_000  # 250 W of PS improvement
    assert CASES[1].reward_milli(stake_wh, improvement_mw) == 2_500  # 0.01 * 250 W
    assert CASES[2].reward_milli(stake_wh, improvement_mw) == 135_000 + 2_500
    assert CASES[3].reward_milli(stake_wh, improvement_mw) == 1_350_000  # 0.1 * 13 500
    assert CASES[4].reward_milli(stake_wh, improvement_mw) == 500_000


def test_the_performance_winner_is_the_largest_improvement_lowest_index_on_ties() -> None:
    assert best_performer([5, 9, 9, 1]) == 1
    assert forger(1, [1, 1, 1], [0, 7, 3], b"seed") == 1


def test_the_stake_draw_is_deterministic_and_proportional_to_stake() -> None:
    stakes = [20_000, 5_120]
    assert stake_draw(stakes, b"x") == stake_draw(stakes, b"x")
    wins = Counter(stake_draw(stakes, seed.to_bytes(4, "big")) for seed in range(4000))
    share = wins[0] / 4000
    assert abs(share - 20_000 / 25_120) < 0.03
    with pytest.raises(ValueError, match="positive total"):
        stake_draw([0, 0], b"x")


def test_a_proof_of_work_is_checked_by_one_hash_and_binds_the_house_and_day() -> None:
    rng = random.Random(1)
    attempts, nonce = 0, None
    while nonce is None:
        attempts += 1
        nonce = proof_of_work.attempt(rng, b"day-1", "house-03", 250)
    assert proof_of_work.solves(b"day-1", "house-03", nonce, 250)
    assert not proof_of_work.solves(b"day-1", "house-03", nonce, 200)  # a harder target
    assert not proof_of_work.solves(b"day-1", "house-03", 2**32, 256)  # not a 32-bit nonce
    others = sum(proof_of_work.solves(b"day-2", "house-04", nonce + k, 250) for k in range(1))
    assert others in (0, 1)  # another day or house: a fresh puzzle, solved only by chance


def test_about_one_attempt_in_64_solves_the_default_target() -> None:
    rng = random.Random(2)
    solved = sum(proof_of_work.attempt(rng, b"d", "h", 250) is not None for _ in range(20_000))
    assert 20_000 / 64 * 0.8 < solved < 20_000 / 64 * 1.2
