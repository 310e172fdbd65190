"""Bidding strategies and the block backoff: the rules island's agents follow, and our net-midpoint bidder."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridledger.lab.agents.strategies import NetMidpoint, ZeroIntelligence, strategy_named
from gridledger.lab.agents.submitter import BlockBackoff

LO, HI = 3400, 10840
energy = st.integers(min_value=0, max_value=20_000)


@given(use=energy, gen=energy, seed=st.integers(0, 2**32))
def test_zero_intelligence_buys_all_use_and_sells_all_generation_inside_lo_hi(use: int, gen: int, seed: int) -> None:
    offers = ZeroIntelligence().offers(use, gen, LO, HI, random.Random(seed))
    assert {o.side: o.quantity_wh for o in offers} == {s: q for s, q in (("buy", use), ("sell", gen)) if q > 0}
    assert all(LO < o.price <= HI for o in offers)


@given(use=energy, gen=energy, seed=st.integers(0, 2**32))
def test_net_midpoint_offers_only_the_net_position_on_its_side_of_the_midpoint(use: int, gen: int,
                                                                               seed: int) -> None:
    offers = NetMidpoint().offers(use, gen, LO, HI, random.Random(seed))
    middle = (LO + HI) // 2
    if use == gen:
        assert offers == []
        return
    (offer,) = offers
    assert offer.quantity_wh == abs(use - gen)
    if use > gen:
        assert offer.side == "buy" and middle <= offer.price <= HI
    else:
        assert offer.side == "sell" and LO < offer.price <= middle


def test_unknown_strategy_names_the_choices() -> None:
    with pytest.raises(ValueError, match="zero-intelligence, net-midpoint"):
        strategy_named("greedy")


def test_block_backoff_doubles_the_window_per_retry() -> None:
    backoff = BlockBackoff(alpha=10, retries=2)
    rng = random.Random(7)
    first = [backoff.blocks_before(1, rng) for _ in range(2000)]
    second = [backoff.blocks_before(2, rng) for _ in range(2000)]
    assert min(first) == 0 and max(first) == 9
    assert min(second) == 0 and max(second) == 19


@pytest.mark.parametrize("alpha, retries", [(0, 2), (10, -1)])
def test_block_backoff_rejects_nonsense(alpha: int, retries: int) -> None:
    with pytest.raises(ValueError):
        BlockBackoff(alpha, retries)
