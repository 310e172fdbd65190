"""Fixtures for the swarm tests: the Docker engine and image of tests/docker, and a swarm manager. An engine that
is in no swarm is made a one-host swarm for the session and leaves it afterwards; one that already is in a swarm
keeps it, and its node gets back the labels it had."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from gridledger.ops.docker import engine
from tests.docker.conftest import docker_engine, gridledger_image

__all__ = ["docker_engine", "gridledger_image", "swarm_manager"]


@pytest.fixture(scope="session")
def swarm_manager(docker_engine: None) -> Iterator[None]:
    state = engine.client().info().get("Swarm", {})
    initialised = state.get("LocalNodeState") == "inactive"
    if initialised:
        result = subprocess.run(["docker", "swarm", "init", "--advertise-addr", "127.0.0.1"], capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, f"docker swarm init failed: {result.stderr}"
    elif state.get("LocalNodeState") != "active" or not state.get("ControlAvailable"):
        pytest.skip(f"this engine is a swarm {state.get('LocalNodeState')} node that is not a manager")
    nodes = engine.client().nodes.list()
    labels_before = {node.id: dict(node.attrs["Spec"].get("Labels", {})) for node in nodes}
    try:
        yield
    finally:
        if initialised:
            subprocess.run(["docker", "swarm", "leave", "--force"], capture_output=True, timeout=60)
        else:
            for node in engine.client().nodes.list():
                spec = node.attrs["Spec"]
                if node.id in labels_before and spec.get("Labels", {}) != labels_before[node.id]:
                    node.update({**spec, "Labels": labels_before[node.id]})
