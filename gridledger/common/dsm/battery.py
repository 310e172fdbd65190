"""Home batteries: the five products of the Profile Steering thesis and the limits a plan must respect.

Energy is counted in slot-watts: one watt for one 15-minute slot (0.25 Wh). A plan of integer watts then moves the
state of charge by integers, so the planner, the chaincode and the checks never round.
"""

from __future__ import annotations

from dataclasses import dataclass

SLOTS_PER_DAY = 96
SLOTS_PER_HOUR = 4  # 15-minute slots: an energy of 1 Wh is 4 slot-watts
MAX_POWER_W = 1_000_000
MAX_CAPACITY_WH = 10_000_000


class BatteryError(ValueError):
    """A battery description or a battery plan that breaks the battery's limits."""


@dataclass(frozen=True, slots=True)
class Battery:
    """Capacity and initial (= end-of-day) state of charge in Wh; power bounds in W, positive charging."""

    capacity_wh: int
    min_power_w: int
    max_power_w: int
    initial_wh: int

    def __post_init__(self) -> None:
        for name in ("capacity_wh", "min_power_w", "max_power_w", "initial_wh"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise BatteryError(f"{name} must be an integer, got {value!r}")
        if not 0 < self.capacity_wh <= MAX_CAPACITY_WH:
            raise BatteryError(f"capacity_wh must be in 1..{MAX_CAPACITY_WH}, got {self.capacity_wh}")
        if not -MAX_POWER_W <= self.min_power_w <= 0 <= self.max_power_w <= MAX_POWER_W:
            raise BatteryError(f"power bounds must satisfy -{MAX_POWER_W} <= min_power_w <= 0 <= max_power_w <= "
                               f"{MAX_POWER_W}, got {self.min_power_w}..{self.max_power_w}")
        if not 0 <= self.initial_wh <= self.capacity_wh:
            raise BatteryError(f"initial_wh must be in 0..capacity_wh ({self.capacity_wh}), got {self.initial_wh}")

    @property
    def room_below(self) -> int:
        """How far the charge may fall below its initial level, in slot-watts."""
        return SLOTS_PER_HOUR * self.initial_wh

    @property
    def room_above(self) -> int:
        """How far the charge may rise above its initial level, in slot-watts."""
        return SLOTS_PER_HOUR * (self.capacity_wh - self.initial_wh)

    @classmethod
    def from_json(cls, data: object) -> Battery:
        fields = {"capacity_wh", "min_power_w", "max_power_w", "initial_wh"}
        if not isinstance(data, dict) or set(data) != fields:
            raise BatteryError(f"a battery is an object with exactly {', '.join(sorted(fields))}")
        return cls(**data)

    def to_json(self) -> dict[str, int]:
        return {"capacity_wh": self.capacity_wh, "min_power_w": self.min_power_w, "max_power_w": self.max_power_w,
                "initial_wh": self.initial_wh}


def check_plan(battery: Battery, plan: tuple[int, ...] | list[int]) -> None:
    """Raise BatteryError unless `plan` (W per slot) keeps the power and charge bounds and ends where it started."""
    if len(plan) != SLOTS_PER_DAY:
        raise BatteryError(f"a battery plan has {SLOTS_PER_DAY} slots, got {len(plan)}")
    level = 0
    for slot, power in enumerate(plan):
        if isinstance(power, bool) or not isinstance(power, int):
            raise BatteryError(f"slot {slot}: power must be an integer number of watts, got {power!r}")
        if not battery.min_power_w <= power <= battery.max_power_w:
            raise BatteryError(f"slot {slot}: {power} W is outside {battery.min_power_w}..{battery.max_power_w} W")
        level += power
        if not -battery.room_below <= level <= battery.room_above:
            raise BatteryError(f"slot {slot}: the charge would reach {battery.initial_wh + level / SLOTS_PER_HOUR} "
                               f"Wh, outside 0..{battery.capacity_wh} Wh")
    if level != 0:
        raise BatteryError(f"the day must end at the initial charge; this plan ends {level / SLOTS_PER_HOUR:+} Wh "
                           "away from it")


# Table 6.6/6.7 of the thesis (capacity = initial stake, power bounds, initial = target charge at 50%).
PRESETS: dict[str, Battery] = {
    "tesla-powerwall-2": Battery(13_500, -5_000, 5_000, 6_750),
    "sonnen-eco": Battery(20_000, -8_000, 3_300, 10_000),
    "pika-harbour-5": Battery(14_300, -5_600, 3_300, 7_150),
    "lg-chem-resu10h": Battery(9_300, -5_000, 5_000, 4_650),
    "b-box-pro-5": Battery(5_120, -4_500, 3_300, 2_560),
}

# Scenario 1: a Powerwall 2 in every house; scenario 2: five houses of each product, highest stake first.
SCENARIOS: dict[str, tuple[str, ...]] = {
    "scenario1": ("tesla-powerwall-2",) * 25,
    "scenario2": tuple(name for name in ("sonnen-eco", "pika-harbour-5", "tesla-powerwall-2", "lg-chem-resu10h",
                                         "b-box-pro-5") for _ in range(5)),
}


def check_change(battery: Battery, before: tuple[int, ...] | list[int], after: tuple[int, ...] | list[int]) -> None:
    """Raise BatteryError unless moving a house from profile `before` to `after` could be a change of its battery
    plan alone: the same energy over the day, no slot changed by more than the battery's power range, and the
    charge difference never beyond its capacity. These are the bounds checkable without the house's private base
    load (the meter readings settle the rest)."""
    if len(before) != SLOTS_PER_DAY or len(after) != SLOTS_PER_DAY:
        raise BatteryError(f"profiles have {SLOTS_PER_DAY} slots")
    span = battery.max_power_w - battery.min_power_w
    reach = battery.room_below + battery.room_above
    moved = 0
    for slot, (old, new) in enumerate(zip(before, after, strict=True)):
        if abs(new - old) > span:
            raise BatteryError(f"slot {slot}: a change of {new - old} W exceeds the battery's power range "
                               f"({span} W)")
        moved += new - old
        if abs(moved) > reach:
            raise BatteryError(f"slot {slot}: the change would move the charge by {moved / SLOTS_PER_HOUR} Wh, "
                               f"beyond the battery's capacity ({battery.capacity_wh} Wh)")
    if moved != 0:
        raise BatteryError(f"the change moves {moved / SLOTS_PER_HOUR:+} Wh over the day; a battery's plan is "
                           "energy-neutral")
