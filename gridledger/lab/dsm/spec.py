"""DSM experiment specifications (`kind: dsm`): the network, the neighbourhood's batteries (one of the thesis'
scenarios), Profile Steering's parameters, the methods to run side by side, how days are coordinated and rewarded,
and the household trace whose days are planned. `--quick` applies the spec's `quick` section."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from gridledger.common.dsm.battery import SCENARIOS
from gridledger.common.dsm.config import METHOD1, METHOD2
from gridledger.lab.experiment.spec import NetworkOverrides, StrictSpec, read_spec_mapping, validate_spec


class DsmTraceSpec(StrictSpec):
    path: Path
    houses: int = Field(default=25, ge=1, le=1000)
    first_day: int = Field(default=0, ge=0)
    days: int | None = Field(default=None, ge=1)


class DsmAgentSpec(StrictSpec):
    """window_s: how long the coordinator waits for the houses' step of an iteration; attempt_delays_s: proof of
    work's seconds between attempts, one value per group of houses in order (the thesis: five groups)."""

    window_s: float = Field(default=10.0, gt=0, le=600)
    attempt_delays_s: tuple[float, ...] = ()
    seed: int = 1

    @model_validator(mode="after")
    def _delays_are_non_negative(self) -> DsmAgentSpec:
        if any(delay < 0 or delay > 60 for delay in self.attempt_delays_s):
            raise ValueError("attempt_delays_s are seconds in 0..60")
        return self


class DsmQuickSpec(StrictSpec):
    trace: Path | None = None
    houses: int | None = Field(default=None, ge=1)
    days: int = Field(default=3, ge=1)


class DsmExperimentSpec(StrictSpec):
    kind: Literal["dsm"]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    network: Path
    overrides: NetworkOverrides = NetworkOverrides()
    scenario: Literal[tuple(SCENARIOS)]  # type: ignore[valid-type]
    methods: tuple[Literal["method1", "method2"], ...] = (METHOD1, METHOD2)
    coordination: Literal["pos", "pow"] = "pos"
    reward_case: int = Field(default=1, ge=1, le=4)
    pow_target_bits: int = Field(default=250, ge=200, le=256)
    epsilon_mw: int = Field(default=1, ge=0)
    max_iterations: int = Field(default=100, ge=0, le=1000)
    trace: DsmTraceSpec
    agents: DsmAgentSpec = DsmAgentSpec()
    quick: DsmQuickSpec = DsmQuickSpec()

    @model_validator(mode="after")
    def _methods_are_distinct(self) -> DsmExperimentSpec:
        if not self.methods or len(set(self.methods)) != len(self.methods):
            raise ValueError("methods lists method1 and/or method2, each once")
        return self

    def quickened(self) -> DsmExperimentSpec:
        trace = self.trace.model_copy(update={"path": self.quick.trace or self.trace.path, "first_day": 0,
                                              "days": self.quick.days,
                                              "houses": self.quick.houses or self.trace.houses})
        return self.model_copy(update={"name": f"{self.name}-quick", "trace": trace})


def load_dsm_spec(path: Path) -> DsmExperimentSpec:
    return validate_spec(path, DsmExperimentSpec, read_spec_mapping(path))
