"""An OPF experiment spec (deploy/experiments/opf-*.yaml, `kind: opf`): feeder, day, devices, ADMM parameters,
and the smaller `quick` variant the tests and CI run."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from gridledger.lab.experiment.spec import SpecError, StrictSpec, read_spec_mapping, validate_spec

FEEDERS = ("case33bw", "simbench-lv")


class GeneratorSpec(StrictSpec):
    a: float = Field(0.05, ge=0)  # money per MW^2 h
    b: float = Field(0.5, ge=0)  # money per MWh
    c: float = 0.0
    pmax_mw: float = Field(10.0, gt=0)


class PenetrationSpec(StrictSpec):
    pv_share: float = Field(0.6, ge=0, le=1)
    deferrable_share: float = Field(0.7, ge=0, le=1)
    shapable_share: float = Field(0.7, ge=0, le=1)
    battery_share: float = Field(1.0, ge=0, le=1)


class AdmmSpec(StrictSpec):
    rho: float = Field(100.0, gt=0)
    eps_pri: float = Field(1e-3, gt=0)
    eps_dual: float = Field(0.1, gt=0)
    max_iterations: int = Field(1000, ge=1, le=100_000)


class QuickSpec(StrictSpec):
    steps: int = Field(4, ge=1)


class OpfSpec(StrictSpec):
    kind: Literal["opf"]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    feeder: Literal[FEEDERS]
    day: int = Field(172, ge=0, le=365)  # of SimBench's 2016; 172 is 21 June
    steps: int = Field(24, ge=1)
    seed: int = 2017
    generator: GeneratorSpec = GeneratorSpec()
    penetration: PenetrationSpec = PenetrationSpec()
    admm: AdmmSpec = AdmmSpec()
    quick: QuickSpec = QuickSpec()


def load_opf_spec(path: Path, quick: bool = False) -> OpfSpec:
    spec = validate_spec(path, OpfSpec, read_spec_mapping(path))
    if quick:
        spec = spec.model_copy(update={"steps": spec.quick.steps, "name": f"{spec.name}-quick"})
    if 96 % spec.steps:
        raise SpecError(f"{path}: steps: {spec.steps} does not divide the 96 quarter hours of a day")
    return spec
