"""Shared fixtures (crypto material for small networks, made once per test session), and the session's order:
the tests that need the gridledger image run last, while it builds (tests/docker/imagebuild.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.ops import cryptogen
from gridledger.ops.netconfig import load_network
from tests.docker.containers import docker_engine_problem
from tests.docker.imagebuild import FIXTURE, STARTED, ImageBuild

REPO = Path(__file__).resolve().parent.parent
NETWORKS = REPO / "deploy" / "networks"


@pytest.fixture(scope="session")
def raft_crypto(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(network file, crypto folder) for deploy/networks/raft.yaml."""
    network_file = NETWORKS / "raft.yaml"
    out = tmp_path_factory.mktemp("crypto-raft")
    cryptogen.generate(load_network(network_file), out)
    return network_file, out


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what will not run
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that need the gridledger image go last, in their order, and the image starts building now."""
    needing = [item for item in items if FIXTURE in getattr(item, "fixturenames", ())]
    if not needing:
        return
    items[:] = [item for item in items if FIXTURE not in getattr(item, "fixturenames", ())] + needing
    # Without an engine the tests skip and say why (tests/docker/conftest.py).
    if not config.option.collectonly and docker_engine_problem() is None:
        config.stash[STARTED] = ImageBuild()


def pytest_unconfigure(config: pytest.Config) -> None:
    build = config.stash.get(STARTED, None)
    if build is not None:
        build.stop()
