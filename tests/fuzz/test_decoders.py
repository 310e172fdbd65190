"""The CI slice of the decoder fuzzing: every target of tests/fuzz/targets.py gets its seeds, its saved crash
inputs and a few hundred seeded mutations of the seeds, and must refuse each bad input with one of its documented
errors. The long, coverage-guided run of the same targets is `scripts/fuzz.py decoders` (make test-faults)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.fuzz.corpus import regression_inputs
from tests.fuzz.mutation import Mutator
from tests.fuzz.targets import BUILDERS, Target, build
from tests.fuzz.world import World, make_crypto

INPUTS = 500
SEED = 15  # the number; any fixed value keeps the slice reproducible


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World.load(make_crypto(tmp_path_factory.mktemp("fuzz") / "crypto"))


def _run(target: Target, data: bytes, origin: str) -> None:
    try:
        target.one_input(data)
    except Exception as exc:
        pytest.fail(f"{target.name}: {origin} raised {type(exc).__name__}: {exc}; save the input under "
                    f"tests/fuzz/regressions/{target.name}/ once fixed: {data[:2000].hex()}")


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_seeds_reach_the_end_of_the_path(world: World, name: str) -> None:
    """Valid messages pass every check, so mutations of them start deep in the decoder, not at its first test."""
    target = build(name, world)
    if not target.seeds_pass:
        pytest.skip(f"{name} always ends in a refusal")
    for seed in target.seeds:
        target.call(seed)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_mutated_inputs_raise_only_documented_refusals(world: World, name: str) -> None:
    target = build(name, world)
    for file_name, data in regression_inputs(name):
        _run(target, data, f"regression {file_name}")
    mutator = Mutator(random.Random(f"{SEED}:{name}"), target.message, target.seeds)
    for number in range(INPUTS):
        _run(target, mutator.next_input(), f"mutation {number}")


def test_every_regression_folder_names_a_target() -> None:
    folders = {path.name for path in (Path(__file__).parent / "regressions").iterdir() if path.is_dir()}
    assert folders <= set(BUILDERS)
