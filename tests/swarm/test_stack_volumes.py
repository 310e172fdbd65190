"""`network up --swarm` refuses this host's volumes of the stack that its data folder did not make for its genesis
block, before anything is deployed (they outlive `down`, and hold another chain). Asks a real engine for volumes
only: no swarm, image or container needed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.ops.docker import DockerError, engine
from gridledger.ops.docker.swarm import SwarmNetwork

pytestmark = pytest.mark.docker

SOLO_2X2 = Path(__file__).resolve().parents[1] / "docker" / "solo-2x2.yaml"


@pytest.fixture
def stack_name(docker_engine: None) -> Iterator[str]:
    name = f"gridledger-test-{uuid.uuid4().hex[:8]}"
    yield name
    for volume in engine.client().volumes.list():
        if volume.name.startswith(f"{name}_"):
            volume.remove(force=True)


def test_volumes_of_another_folder_are_refused_before_deploying(stack_name: str, tmp_path: Path) -> None:
    first = SwarmNetwork(tmp_path / "first", stack=stack_name)
    network = first.prepare(SOLO_2X2)
    first.claim_volumes(network)
    volume = f"{stack_name}_peer0-org1-data"
    engine.create_volume(volume, {})  # as the stack's first task on this host would
    first.claim_volumes(network)  # its own volume, made for its genesis block: accepted again

    second = SwarmNetwork(tmp_path / "second", stack=stack_name)
    with pytest.raises(DockerError, match=f"did not make for its genesis block \\({volume}\\)"):
        second.up(SOLO_2X2, timeout=5)
    if engine.client().info()["Swarm"].get("ControlAvailable"):  # on a manager: nothing was deployed
        assert not engine.client().services.list(filters={"label": f"com.docker.stack.namespace={stack_name}"})
