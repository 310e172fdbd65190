"""Billing at nodal prices (the paper's contract S2), in exact arithmetic from the aggregator's converged state.

The ledger cannot see the agents' private duals, so everything billed is read off the state the aggregator
contract already holds and the generator's public cost, and every endorser and `opf verify` compute the same
integers:

- Nodal price at the substation: the generator's marginal cost 2 a s + b at its consensus supply s = sum_k P_k of
  the substation's lines (the paper: the DLMPs "can be easily calculated from the net load supplied by the central
  generator"; the substation bus carries no load on the feeders read here).
- Nodal price of any other bus j: its parent's price times dP_j/dw_j, the marginal loss of its line with the tight
  cone l_j = (P_j^2 + Q_j^2) / v_parent: 1 + 2 r P / (v_parent - 2 (r P + x Q)). Exact while no voltage or line
  limit binds and the generator is inside its bounds (a congestion term the ledger cannot see is then missing).
  The duals the consensus holds (rho u of a parent's copy of a child's flow is minus the parent's balance dual)
  would need no cost data, but they converge only to eps_dual: on the SimBench LV feeder they were 29% off the
  centralised duals at the paper's tolerances, these 0.4% (docs/opf.md).
- Scheduled withdrawal of bus j: its real-power balance (1a) over the consensus flows, P_j - sum_k P_k - r_j l_j;
  at the substation -sum_k P_k (load minus generation: the generator is paid through a negative withdrawal).

Prices are token units per MWh, schedules and meter readings watt-hours per step (integers, rounded half to even
once from exact fractions). Every bus pays price x scheduled energy and penalty_per_mwh x |metered - scheduled|;
the grid account receives the sum, so the transfers sum to zero: consumers' payments = the generator's revenue +
the network's surplus (losses at nodal prices), and penalties go to the grid.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from fractions import Fraction

from gridledger.common.opf.aggregator import MAX_MAGNITUDE, AdmmState
from gridledger.common.opf.config import SCALE
from gridledger.common.opf.feeder import Feeder
from gridledger.common.opf.layout import Layout, P, Q, V

DAY_HOURS = 24  # a run schedules one day: a step is 24 / steps hours
WH_PER_MWH = 10**6
ACCOUNT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")  # the token chaincode's account names
CHAINCODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
MAX_RATE = 10**15  # token units per MWh


class BillingError(ValueError):
    """A billing configuration, meter reading or state that cannot be billed; nothing of it is used."""


@dataclass(frozen=True, slots=True)
class BillingConfig:
    """generator_a, generator_b: the substation generator's public cost a s^2 + b s (money per MW^2 h, per MWh);
    tokens_per_unit: token units (the token chaincode's micro-cents) per unit of that money (10^8: dollars);
    penalty_per_mwh: token units per MWh a meter deviates from the schedule."""

    generator_a: float = 0.05
    generator_b: float = 0.5
    token_chaincode: str = "token"
    tokens_per_unit: int = 10**8
    penalty_per_mwh: int = 10**9
    grid_account: str = "grid"

    def __post_init__(self) -> None:
        for name in ("generator_a", "generator_b"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise BillingError(f"{name} must be a finite number >= 0, got {value!r}")
        if not isinstance(self.token_chaincode, str) or not CHAINCODE.match(self.token_chaincode):
            raise BillingError(f"token_chaincode {self.token_chaincode!r} is not a chaincode name")
        if not isinstance(self.grid_account, str) or not ACCOUNT.match(self.grid_account):
            raise BillingError(f"grid_account {self.grid_account!r} is not a token account name")
        for name in ("tokens_per_unit", "penalty_per_mwh"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_RATE:
                raise BillingError(f"{name} must be an integer in 0..{MAX_RATE}, got {value!r}")

    @classmethod
    def from_dict(cls, data: object) -> BillingConfig:
        if not isinstance(data, dict) or set(data) - set(cls.__dataclass_fields__):
            raise BillingError(f"a billing config is an object with any of {', '.join(cls.__dataclass_fields__)}, "
                               f"got {data!r}")
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


def account_of(run_id: str, bus: int) -> str:
    """The token account that pays (or is paid) for a bus of a run."""
    name = f"{run_id}.bus{bus}"
    if not ACCOUNT.match(name):
        raise BillingError(f"run id {run_id!r} is too long for its token accounts ({name!r}; at most 64 characters)")
    return name


def _step_hours(layout: Layout) -> Fraction:
    return Fraction(DAY_HOURS, layout.steps)


def _global(state: AdmmState, layout: Layout, name: tuple[str, int], t: int) -> Fraction:
    return Fraction(state.z[layout.names.index(name) * layout.steps + t], SCALE)


def _converged(state: AdmmState) -> None:
    if not state.converged:
        raise BillingError(f"the run has not converged (iteration {state.iteration}): there is no schedule to bill")


def marginal_prices(feeder: Feeder, layout: Layout, billing: BillingConfig,
                    state: AdmmState) -> list[list[Fraction]]:
    """[bus][step]: the nodal price in money per MWh, exact (see the module docstring)."""
    _converged(state)
    a, b, base = Fraction(billing.generator_a), Fraction(billing.generator_b), Fraction(feeder.base_mva)
    prices: list[list[Fraction]] = [[] for _ in range(feeder.buses)]
    for t in range(layout.steps):
        supply = sum((_global(state, layout, (P, k), t) for k in feeder.children(0)), Fraction(0)) * base
        prices[0].append(2 * a * supply + b)
    for bus in feeder.depth_order()[1:]:
        parent, r, x = feeder.parent[bus], Fraction(feeder.r[bus]), Fraction(feeder.x[bus])
        for t in range(layout.steps):
            flow, reactive = _global(state, layout, (P, bus), t), _global(state, layout, (Q, bus), t)
            room = _global(state, layout, (V, parent), t) - 2 * (r * flow + x * reactive)
            if room <= 0:
                raise BillingError(f"line {bus} carries more than its parent's voltage allows at step {t}")
            prices[bus].append(prices[parent][t] * (1 + 2 * r * flow / room))
    return prices


def price_table(feeder: Feeder, layout: Layout, billing: BillingConfig,
                state: AdmmState) -> tuple[tuple[int, ...], ...]:
    """[bus][step]: nodal prices in token units per MWh."""
    return tuple(tuple(round(price * billing.tokens_per_unit) for price in row)
                 for row in marginal_prices(feeder, layout, billing, state))


def schedule_wh(feeder: Feeder, layout: Layout, state: AdmmState) -> tuple[tuple[int, ...], ...]:
    """[bus][step]: each bus's scheduled net withdrawal in Wh (negative: it injects), from the consensus flows."""
    _converged(state)
    wh = Fraction(feeder.base_mva) * WH_PER_MWH * _step_hours(layout)
    rows = []
    for bus in range(feeder.buses):
        row = []
        for t in range(layout.steps):
            out = sum((_global(state, layout, (P, k), t) for k in feeder.children(bus)), Fraction(0))
            if bus == 0:
                row.append(round(-out * wh))
                continue
            flow, reactive = _global(state, layout, (P, bus), t), _global(state, layout, (Q, bus), t)
            current = (flow * flow + reactive * reactive) / _global(state, layout, (V, feeder.parent[bus]), t)
            row.append(round((flow - out - Fraction(feeder.r[bus]) * current) * wh))
        rows.append(tuple(row))
    return tuple(rows)


def reading_bound(feeder: Feeder, layout: Layout) -> int:
    """The largest |Wh| a meter may report per step: the aggregator's bound on any flow (1000 pu) for a step."""
    return math.floor(Fraction(MAX_MAGNITUDE, SCALE) * Fraction(feeder.base_mva) * WH_PER_MWH * _step_hours(layout))


def check_reading(feeder: Feeder, layout: Layout, bus: int, reading: object) -> tuple[int, ...]:
    """A meter's reading as billing accepts it: one integer Wh per step of the run, within reading_bound."""
    if isinstance(bus, bool) or not isinstance(bus, int) or not 0 <= bus < feeder.buses:
        raise BillingError(f"bus {bus!r} is not a bus of feeder {feeder.name}")
    if not isinstance(reading, list | tuple) or len(reading) != layout.steps:
        length = len(reading) if isinstance(reading, list | tuple) else type(reading).__name__
        raise BillingError(f"bus {bus}'s reading must have {layout.steps} entries (Wh per step), got {length}")
    bound = reading_bound(feeder, layout)
    for t, value in enumerate(reading):
        if isinstance(value, bool) or not isinstance(value, int):
            raise BillingError(f"bus {bus}'s reading at step {t} must be an integer of Wh, got {value!r}")
        if abs(value) > bound:
            raise BillingError(f"bus {bus}'s reading at step {t} = {value} Wh is beyond {bound} Wh")
    return tuple(reading)


@dataclass(frozen=True, slots=True)
class Bill:
    payments: tuple[int, ...]  # per bus, token units: price x scheduled energy (negative: the bus is paid)
    deviations_wh: tuple[int, ...]  # per bus, sum over steps of |metered - scheduled|
    penalties: tuple[int, ...]  # per bus, token units
    unmetered: tuple[int, ...]  # buses with no reading: billed their schedule, no penalty

    def transfers(self, run_id: str, grid_account: str) -> dict[str, int]:
        """{account: signed amount} for the token's apply_settlement: every bus pays its payment and penalty, the
        grid receives the sum; zero amounts are left out."""
        moves = {account_of(run_id, bus): -(pay + fine)
                 for bus, (pay, fine) in enumerate(zip(self.payments, self.penalties, strict=True)) if pay + fine}
        total = -sum(moves.values())
        if total:
            moves[grid_account] = moves.get(grid_account, 0) + total
        return moves

    def to_dict(self) -> dict:
        return {"payments": list(self.payments), "deviations_wh": list(self.deviations_wh),
                "penalties": list(self.penalties), "unmetered": list(self.unmetered)}


def bill(prices: tuple[tuple[int, ...], ...], schedule: tuple[tuple[int, ...], ...],
         readings: dict[int, tuple[int, ...]], penalty_per_mwh: int) -> Bill:
    """Each bus's payment and deviation penalty, each rounded once (half to even) from its exact sum."""
    payments, deviations, penalties = [], [], []
    for bus, (row, planned) in enumerate(zip(prices, schedule, strict=True)):
        payments.append(round(Fraction(sum(p * e for p, e in zip(row, planned, strict=True)), WH_PER_MWH)))
        metered = readings.get(bus, planned)
        deviation = sum(abs(m - e) for m, e in zip(metered, planned, strict=True))
        deviations.append(deviation)
        penalties.append(round(Fraction(deviation * penalty_per_mwh, WH_PER_MWH)))
    unmetered = tuple(bus for bus in range(len(schedule)) if bus not in readings)
    return Bill(tuple(payments), tuple(deviations), tuple(penalties), unmetered)
