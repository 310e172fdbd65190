"""Fixtures for container tests: a reachable Docker engine (or a skip that says why), the gridledger image built
through `make images`' script (from cache when present), and a throw-away network in containers whose compose
project, containers, network and volumes are removed afterwards even when a test fails."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from gridledger.ops.docker import DockerNetwork
from tests.docker.containers import (
    IMAGE,
    SOLO_2X2,
    ContainerNet,
    docker_engine_problem,
    remove_project,
    with_free_ports,
)
from tests.docker.imagebuild import STARTED, ImageBuild


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = docker_engine_problem()
    if problem is not None:
        pytest.skip(f"no Docker engine reachable ({problem})")


@pytest.fixture(scope="session")
def gridledger_image(docker_engine: None, request: pytest.FixtureRequest) -> str:
    """scripts/docker-images.sh: the local base image, the wheelhouse and the image, each from cache when present;
    usually already under way since collection (tests/docker/imagebuild.py)."""
    build = request.config.stash.get(STARTED, None)
    if build is None:
        build = request.config.stash[STARTED] = ImageBuild()
    built, output = build.wait(timeout_s=600)
    assert built, f"building the images failed:\n{output}"
    return IMAGE


@pytest.fixture(scope="module")
def solo_network(gridledger_image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContainerNet]:
    """tests/docker/solo-2x2.yaml on free ports, running in containers under project gridledger-test-<random>."""
    folder = tmp_path_factory.mktemp("containers")
    network_file = with_free_ports(SOLO_2X2, folder / "solo-2x2.yaml")
    project = f"gridledger-test-{uuid.uuid4().hex[:10]}"
    docker = DockerNetwork(folder / "data", project=project, image=gridledger_image)
    net = ContainerNet(network_file, folder / "data", docker, project)
    try:
        docker.up(network_file, timeout=120)
        yield net
    finally:
        try:
            docker.down(purge=True)
        finally:
            remove_project(project)
