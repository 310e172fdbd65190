"""The neighbourhood configuration: defaults, round trip, and a precise error for each bad field."""

from __future__ import annotations

import pytest

from gridledger.common.dsm.config import DsmConfig
from gridledger.common.fields import ConfigError


def test_defaults_and_round_trip() -> None:
    config = DsmConfig.from_json({"neighbourhood_id": "nb-1"})
    assert (config.method, config.coordination, config.reward_case) == ("method1", "pos", 1)
    assert (config.steering.epsilon_mw, config.steering.max_iterations, config.pow_target_bits) == (1, 100, 250)
    assert DsmConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(("field", "value", "message"), [
    ("neighbourhood_id", "", "neighbourhood_id '' must be 1-64"),
    ("method", "method3", "method must be one of method1, method2"),
    ("reward_case", 5, "reward_case must be an integer in 1..4"),
    ("max_iterations", True, "max_iterations must be an integer"),
    ("pow_target_bits", 257, "pow_target_bits must be an integer in 200..256"),
    ("coordination", "pbft", "coordination must be one of pos, pow"),
    ("colour", 1, "unknown configuration fields: colour"),
])
def test_each_bad_field_is_named(field: str, value: object, message: str) -> None:
    data = {"neighbourhood_id": "nb-1", field: value}
    with pytest.raises(ConfigError, match=message):
        DsmConfig.from_json(data)
