"""Stake and rewards: the thesis' proof of stake for DSM (shared/domain/dsm.md, its Table 6.5).

Every house enters with its battery capacity as initial stake. Each planning day one house forges the day's block
and is rewarded A * initialStake + B * psImprovement + C, where psImprovement is the house's total Profile Steering
improvement of that day. Cases 1 and 2 pick the house with the largest improvement (lowest id on a tie); cases 3
and 4 draw a house with probability proportional to its initial stake, from a seed no house chooses (the chain's
state hash before the day closes). Stakes are kept in milli-units (1/1000 of a Wh of capacity, or of a watt of
improvement) and rewards rounded down, so every endorser writes the same integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

MILLI = 1000
PERFORMANCE = "performance"
STAKE = "stake"


@dataclass(frozen=True, slots=True)
class RewardRule:
    """Who is rewarded (`chosen_by`) and how much: A * initial stake + B * improvement + C."""

    chosen_by: str
    a: Fraction
    b: Fraction
    c: Fraction

    def reward_milli(self, initial_stake_wh: int, improvement_mw: int) -> int:
        """The reward in milli-units; initial stake in Wh, improvement in mW (so B applies per watt)."""
        return int(self.a * initial_stake_wh * MILLI + self.b * improvement_mw + self.c * MILLI)


CASES: dict[int, RewardRule] = {
    1: RewardRule(PERFORMANCE, Fraction(0), Fraction(1, 100), Fraction(0)),
    2: RewardRule(PERFORMANCE, Fraction(1, 100), Fraction(1, 100), Fraction(0)),
    3: RewardRule(STAKE, Fraction(1, 10), Fraction(0), Fraction(0)),
    4: RewardRule(STAKE, Fraction(0), Fraction(0), Fraction(500)),
}


def best_performer(improvements_mw: Sequence[int]) -> int:
    """The index of the largest total improvement, lowest index on a tie."""
    return max(range(len(improvements_mw)), key=lambda index: (improvements_mw[index], -index))


def stake_draw(initial_stakes_wh: Sequence[int], seed: bytes) -> int:
    """The index drawn with probability proportional to initial stake: SHA-256 of the seed, reduced modulo the
    total stake, walks the houses in order. (The modulo bias is below 2^-200 for any realistic total.)"""
    total = sum(initial_stakes_wh)
    if total <= 0:
        raise ValueError("a stake draw needs a positive total stake")
    ticket = int.from_bytes(hashlib.sha256(b"gridledger/dsm/stake-draw\x00" + seed).digest(), "big") % total
    for index, stake in enumerate(initial_stakes_wh):
        if ticket < stake:
            return index
        ticket -= stake
    raise AssertionError("unreachable: the ticket is below the total")


def forger(case: int, initial_stakes_wh: Sequence[int], improvements_mw: Sequence[int], seed: bytes) -> int:
    """The house that forges the day under reward `case`."""
    rule = CASES[case]
    return best_performer(improvements_mw) if rule.chosen_by == PERFORMANCE else stake_draw(initial_stakes_wh, seed)
