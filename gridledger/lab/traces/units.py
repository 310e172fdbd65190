"""Conversions from the trace's decimal units to the ledger's integers (docs/market.md, "Units").

Decimal arithmetic on the file's text, not floats: 0.002 kW is exactly 0.5 Wh, and rounding it half-even must give 0
on every machine, which a binary float cannot promise.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

SLOT_HOURS = Decimal("0.25")  # a slot is 15 minutes
WH_PER_KW_SLOT = SLOT_HOURS * 1000  # average kW over one slot -> Wh
MILLICENTS_PER_CENT = 1000


def kw_to_wh(kw: Decimal) -> int:
    """Energy in a slot (Wh, rounded half-even) from the average power over the slot (kW)."""
    return int((kw * WH_PER_KW_SLOT).to_integral_value(rounding=ROUND_HALF_EVEN))


def cents_to_millicents(cents: Decimal) -> int:
    """A price in mc/kWh (rounded half-even) from c/kWh: 10.84 -> 10840."""
    return int((cents * MILLICENTS_PER_CENT).to_integral_value(rounding=ROUND_HALF_EVEN))


def millicents_to_text(millicents: int) -> str:
    """c/kWh text for a price in mc/kWh, exact and without trailing zeros: 10840 -> '10.84', 3400 -> '3.4'."""
    text = f"{millicents // MILLICENTS_PER_CENT}.{millicents % MILLICENTS_PER_CENT:03d}".rstrip("0")
    return text.rstrip(".")


def watts_to_kw_text(watts: int) -> str:
    """kW text with exactly 3 decimals from whole watts, so use = gen + grid holds exactly in the file's decimals."""
    sign = "-" if watts < 0 else ""
    return f"{sign}{abs(watts) // 1000}.{abs(watts) % 1000:03d}"
