"""A neighbourhood's DSM configuration, fixed when the operator creates it, validated once by the chaincode and
read back by agents and `dsm verify`, so every party runs Profile Steering with the same parameters."""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common.dsm.pow import DEFAULT_TARGET_BITS
from gridledger.common.dsm.rewards import CASES
from gridledger.common.dsm.steering import SteeringConfig
from gridledger.common.fields import ConfigError, check_choice, check_id, check_int

METHOD1 = "method1"
METHOD2 = "method2"
METHODS = (METHOD1, METHOD2)
POS = "pos"
POW = "pow"
COORDINATIONS = (POS, POW)
MAX_ITERATIONS = 1000
MAX_HOUSES = 1000
MAX_DAY = 10**6
_FIELDS = {"neighbourhood_id", "method", "epsilon_mw", "max_iterations", "reward_case", "coordination",
           "pow_target_bits", "penalty_per_kwh", "token_chaincode"}


@dataclass(frozen=True, slots=True)
class DsmConfig:
    """How a neighbourhood plans its days.

    method: method1 (houses publish base loads; the chaincode runs all of PS during one endorsement) or method2
    (base loads stay private; per iteration houses submit gains with commitments, the winner reveals).
    coordination: pos (the reward case picks the day's forger) or pow (the first valid hash proof does).
    penalty_per_kwh: tokens a house pays per kWh its metered profile deviates from its plan.
    """

    neighbourhood_id: str
    method: str
    steering: SteeringConfig
    reward_case: int
    coordination: str
    pow_target_bits: int
    penalty_per_kwh: int
    token_chaincode: str

    @classmethod
    def from_json(cls, data: object) -> DsmConfig:
        if not isinstance(data, dict):
            raise ConfigError("the DSM configuration is a JSON object")
        unknown = set(data) - _FIELDS
        if unknown:
            raise ConfigError(f"unknown configuration fields: {', '.join(sorted(unknown))} "
                              f"(allowed: {', '.join(sorted(_FIELDS))})")
        steering = SteeringConfig(check_int(data.get("epsilon_mw", 1), "epsilon_mw", 0, 10**12),
                                  check_int(data.get("max_iterations", 100), "max_iterations", 0, MAX_ITERATIONS))
        reward_case = check_int(data.get("reward_case", 1), "reward_case", 1, len(CASES))
        return cls(neighbourhood_id=check_id(data.get("neighbourhood_id"), "neighbourhood_id"),
                   method=check_choice(data.get("method", METHOD1), "method", METHODS), steering=steering,
                   reward_case=reward_case,
                   coordination=check_choice(data.get("coordination", POS), "coordination", COORDINATIONS),
                   pow_target_bits=check_int(data.get("pow_target_bits", DEFAULT_TARGET_BITS), "pow_target_bits",
                                             200, 256),
                   penalty_per_kwh=check_int(data.get("penalty_per_kwh", 0), "penalty_per_kwh", 0, 10**9),
                   token_chaincode=check_id(data.get("token_chaincode", "token"), "token_chaincode"))

    def to_json(self) -> dict[str, object]:
        return {"neighbourhood_id": self.neighbourhood_id, "method": self.method,
                "epsilon_mw": self.steering.epsilon_mw, "max_iterations": self.steering.max_iterations,
                "reward_case": self.reward_case, "coordination": self.coordination,
                "pow_target_bits": self.pow_target_bits, "penalty_per_kwh": self.penalty_per_kwh,
                "token_chaincode": self.token_chaincode}
