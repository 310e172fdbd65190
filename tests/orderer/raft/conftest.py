"""Fixtures for the raft tests: crypto material for a raft network, made once per session, and clusters of real
orderer processes that are killed when the test ends, pass or fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.orderer.raft.cluster import RaftCluster, make_crypto


@pytest.fixture(scope="session")
def raft_test_crypto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_crypto(tmp_path_factory.mktemp("crypto-raft-orderers"))


@pytest.fixture
def make_cluster(raft_test_crypto: Path, tmp_path: Path) -> Iterator[Callable[..., RaftCluster]]:
    made: list[RaftCluster] = []

    def make(**options: object) -> RaftCluster:
        made.append(RaftCluster.create(tmp_path / f"net{len(made)}", raft_test_crypto, **options))
        return made[-1]

    yield make
    for cluster in made:
        cluster.kill_all()
