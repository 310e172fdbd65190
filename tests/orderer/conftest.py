"""Fixtures for the orderer tests: crypto material for deploy/networks/dev.yaml, made once per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gridledger.ops import cryptogen
from tests.orderer.support import OrdererProcess, dev_network


@pytest.fixture(scope="session")
def dev_crypto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crypto-dev")
    cryptogen.generate(dev_network(), out)
    return out


@pytest.fixture
def spawn() -> Iterator[Callable[[Path, Path], OrdererProcess]]:
    """Makes OrdererProcess handles and kills whichever is still running when the test ends, pass or fail."""
    made: list[OrdererProcess] = []

    def make(config: Path, log: Path) -> OrdererProcess:
        made.append(OrdererProcess(config, log))
        return made[-1]

    yield make
    for process in made:
        process.kill()
