"""The in-memory trace: integer readings (Wh) and grid prices (mc/kWh) per household and slot."""

from __future__ import annotations

from collections.abc import Mapping


class TraceError(ValueError):
    """A trace that cannot be used; the message names the file, line and column when there is one."""


class Trace:
    """Readings and grid prices for a complete grid of households x slots.

    Complete because agents and the experiment runner step through every household in every slot; a hole would
    silently become a zero reading. Only integers come out, in the ledger's units, so nothing downstream rounds.
    """

    def __init__(self, readings: Mapping[tuple[str, int], tuple[int, int]],
                 prices: Mapping[int, tuple[int, int]]) -> None:
        households = sorted({household for household, _ in readings})
        slots = sorted(prices)
        if not households or not slots:
            raise TraceError("a trace needs at least one household and one slot")
        for slot in slots:
            for household in households:
                if (household, slot) not in readings:
                    raise TraceError(f"no reading for household {household!r} in slot {slot} "
                                     "(every household needs a row in every slot)")
        if len(readings) != len(households) * len(slots):
            extra = sorted(slot for _, slot in readings if slot not in prices)
            raise TraceError(f"readings for slot {extra[0]} without grid prices")
        self._readings = dict(readings)
        self._prices = dict(prices)
        self._households = households
        self._slots = slots

    @property
    def households(self) -> list[str]:
        """Household ids, sorted."""
        return list(self._households)

    @property
    def slots(self) -> list[int]:
        """Slot numbers, sorted."""
        return list(self._slots)

    def reading(self, household: str, slot: int) -> tuple[int, int]:
        """(use_wh, gen_wh) of a household in a slot."""
        try:
            return self._readings[(household, slot)]
        except KeyError:
            raise KeyError(f"no reading for household {household!r} in slot {slot}") from None

    def prices(self, slot: int) -> tuple[int, int]:
        """(lo, hi) grid prices of a slot in mc/kWh: the utility buys surplus at lo and sells shortfall at hi."""
        try:
            return self._prices[slot]
        except KeyError:
            raise KeyError(f"no slot {slot} in the trace (slots {self._slots[0]}..{self._slots[-1]})") from None

    def select(self, households: int | None = None, slots: range | None = None) -> Trace:
        """A smaller trace: the first `households` ids and the slots in `slots`, for short or small experiments.

        Strict rather than clipping, so an experiment never runs on less data than it asked for without noticing.
        """
        chosen = self._households
        if households is not None:
            if not 1 <= households <= len(self._households):
                raise ValueError(f"cannot select {households} households: the trace has {len(self._households)}")
            chosen = self._households[:households]
        kept = self._slots
        if slots is not None:
            missing = [slot for slot in slots if slot not in self._prices]
            if missing or len(slots) == 0:
                raise ValueError(f"cannot select slots {slots}: the trace has slots "
                                 f"{self._slots[0]}..{self._slots[-1]}" + (f", not {missing[0]}" if missing else ""))
            kept = list(slots)
        return Trace({(h, s): self._readings[(h, s)] for h in chosen for s in kept},
                     {s: self._prices[s] for s in kept})
