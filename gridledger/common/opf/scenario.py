"""One day on one feeder: the uncontrollable load of every bus and the devices placed on it.

`place_devices` draws the paper's placement (PV at a share of the buses, deferrable and shapable loads at another,
a battery at every bus) from a seed and a pair of daily shapes, so a scenario is reproduced from its spec alone.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from gridledger.common.opf.devices import PV, Battery, Deferrable, DeviceError, Generator, Shapable
from gridledger.common.opf.feeder import Feeder

Device = PV | Battery | Shapable | Deferrable


@dataclass(frozen=True, slots=True)
class Scenario:
    feeder: Feeder
    steps: int
    dt_hours: float
    generator: Generator  # at bus 0
    p_load: tuple[tuple[float, ...], ...]  # [bus][step], pu
    q_load: tuple[tuple[float, ...], ...]
    devices: tuple[tuple[Device, ...], ...] = field(default=())  # [bus]; empty: devices switched off

    def __post_init__(self) -> None:
        n = self.feeder.buses
        if not (self.steps >= 1 and self.dt_hours > 0 and math.isfinite(self.dt_hours)):
            raise DeviceError("a scenario needs steps >= 1 and a positive dt_hours")
        for name in ("p_load", "q_load"):
            rows = getattr(self, name)
            if len(rows) != n or any(len(row) != self.steps for row in rows):
                raise DeviceError(f"{name} must have {n} rows of {self.steps} steps")
            if not all(math.isfinite(v) for row in rows for v in row):
                raise DeviceError(f"{name} has a non-finite value")
        if self.devices and len(self.devices) != n:
            raise DeviceError(f"devices must list {n} buses, got {len(self.devices)}")
        for bus_devices in self.devices:
            for device in bus_devices:
                if isinstance(device, PV) and len(device.available) != self.steps:
                    raise DeviceError(f"PV availability has {len(device.available)} steps, not {self.steps}")
                if isinstance(device, Shapable | Deferrable):
                    device.check_steps(self.steps, self.dt_hours)

    def at(self, bus: int) -> tuple[Device, ...]:
        return self.devices[bus] if self.devices else ()

    def without_devices(self) -> Scenario:
        """The same loads with every controllable device off: the feeder's base-case power flow."""
        return Scenario(self.feeder, self.steps, self.dt_hours, self.generator, self.p_load, self.q_load, ())


@dataclass(frozen=True, slots=True)
class Penetration:
    """The paper's placement: PV at 60% of buses, deferrable and shapable loads at 70%, a battery at every bus with
    power 50% of the bus's peak controllable load (of its peak uncontrollable load where it has none) and 4 h of
    energy. Sizes are relative to the bus's peak uncontrollable load."""

    pv_share: float = 0.6
    deferrable_share: float = 0.7
    shapable_share: float = 0.7
    battery_share: float = 1.0
    pv_size: float = 1.0  # PV peak / bus peak load
    deferrable_size: float = 0.5  # deferrable profile power / bus peak load
    deferrable_hours: float = 3.0
    deferrable_arrival_hours: tuple[float, float] = (7.0, 11.0)  # earliest start drawn in this range
    deferrable_window_hours: float = 4.0
    shapable_energy: float = 10.0  # energy drawn uniformly up to this many hours of the bus's peak load
    shapable_power: float = 2.0  # p_max / bus peak load
    shapable_hours: tuple[float, float] = (10.0, 24.0)
    battery_power: float = 0.5
    battery_hours: float = 4.0
    load_noise: float = 0.1  # each bus's load: base * shape * (1 + uniform(-noise, noise))

    def __post_init__(self) -> None:
        shares = (self.pv_share, self.deferrable_share, self.shapable_share, self.battery_share)
        if not all(0 <= s <= 1 for s in shares) or not 0 <= self.load_noise < 1:
            raise DeviceError("shares must be in 0..1 and load_noise in [0, 1)")


def place_devices(feeder: Feeder, generator: Generator, load_shape: list[float], pv_shape: list[float],
                  penetration: Penetration, seed: int) -> Scenario:
    """Draw a day: `load_shape` and `pv_shape` (one value per step, in 0..1) set the step count; buses draw in index
    order from one random.Random(seed), so the same seed and inputs give the same scenario everywhere."""
    steps = len(load_shape)
    if steps < 1 or len(pv_shape) != steps or not all(0 <= v <= 1 for v in [*load_shape, *pv_shape]):
        raise DeviceError("load_shape and pv_shape need the same number of steps, each value in 0..1")
    dt = 24.0 / steps
    rng = random.Random(seed)
    p_rows, q_rows, devices = [], [], []
    for bus in range(feeder.buses):
        factors = [shape * (1 + rng.uniform(-penetration.load_noise, penetration.load_noise)) for shape in load_shape]
        p_rows.append(tuple(feeder.p_load[bus] * f for f in factors))
        q_rows.append(tuple(feeder.q_load[bus] * f for f in factors))
        peak = feeder.p_load[bus]
        devices.append(() if bus == 0 or peak <= 0 else _draw_bus(rng, peak, pv_shape, steps, dt, penetration))
    return Scenario(feeder, steps, dt, generator, tuple(p_rows), tuple(q_rows), tuple(devices))


def _step(hours: float, dt: float, steps: int) -> int:
    return min(steps, max(0, int(hours / dt)))


def _draw_bus(rng: random.Random, peak: float, pv_shape: list[float], steps: int, dt: float,
              pen: Penetration) -> tuple[Device, ...]:
    """One bus's devices; the draws happen in a fixed order whether or not a device is placed, so changing one
    share does not reshuffle the others."""
    has_pv, has_def, has_shp, has_bat = (rng.random() < s for s in
                                         (pen.pv_share, pen.deferrable_share, pen.shapable_share, pen.battery_share))
    arrival_hours = rng.uniform(*pen.deferrable_arrival_hours)
    energy_hours = rng.uniform(0.0, pen.shapable_energy)
    placed: list[Device] = []
    controllable_peak = 0.0
    if has_pv:
        placed.append(PV(tuple(pen.pv_size * peak * v for v in pv_shape)))
    if has_def:
        length = max(1, round(pen.deferrable_hours / dt))
        arrival = min(_step(arrival_hours, dt, steps), steps - length)
        placed.append(Deferrable((pen.deferrable_size * peak,) * length, arrival,
                                 max(0, round(pen.deferrable_window_hours / dt))))
        controllable_peak += pen.deferrable_size * peak
    if has_shp:
        start, end = _step(pen.shapable_hours[0], dt, steps), _step(pen.shapable_hours[1], dt, steps)
        p_max = pen.shapable_power * peak
        energy = min(energy_hours * peak, p_max * (end - start) * dt)
        placed.append(Shapable(energy, p_max, start, end))
        controllable_peak += p_max
    if has_bat:
        power = pen.battery_power * (controllable_peak or peak)
        energy = power * pen.battery_hours
        placed.append(Battery(power, power, 0.1 * energy, 0.9 * energy, 0.5 * energy, 0.95, 0.95, 0.01))
    return tuple(placed)
