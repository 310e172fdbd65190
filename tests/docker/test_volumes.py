"""Issue 16 item 1: named volumes outlive `down`, so a data folder made again (or another checkout) meets volumes
that hold another genesis block's chains. DockerNetwork.claim_volumes refuses them before anything starts, says how
to delete them, and creates and records the volumes it makes. The first tests stand in for Docker; the last one
asks a real engine (volumes only: no image, no container)."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.ops.docker import DockerError, DockerNetwork, engine
from gridledger.ops.docker.engine import PROJECT_LABEL, VOLUME_LABEL
from tests.docker.containers import remove_project

SOLO_2X2 = Path(__file__).resolve().parent / "solo-2x2.yaml"
PROJECT = "gridledger-test-volumes"
KEYS = ["orderer0-data", "peer0-org1-data", "peer1-org1-data", "peer0-org2-data", "peer1-org2-data",
        "rest-org1msp-data", "rest-org2msp-data"]


class FakeVolumes:
    """The engine's volume calls (engine.volume_names, engine.create_volume) over a dict: volume name -> labels.
    The real calls run in the last test here and in every container test."""

    def __init__(self) -> None:
        self.volumes: dict[str, dict[str, str]] = {}

    def names(self) -> set[str]:
        return set(self.volumes)

    def create(self, name: str, labels: dict[str, str]) -> None:
        self.volumes[name] = dict(labels)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeVolumes:
    volumes = FakeVolumes()
    monkeypatch.setattr(engine, "volume_names", volumes.names)
    monkeypatch.setattr(engine, "create_volume", volumes.create)
    return volumes


def prepared(folder: Path) -> DockerNetwork:
    network = DockerNetwork(folder, project=PROJECT)
    network.prepare(SOLO_2X2)
    return network


def test_a_first_claim_creates_every_volume_as_compose_would_and_records_it(fake: FakeVolumes,
                                                                            tmp_path: Path) -> None:
    docker = prepared(tmp_path / "data")
    assert docker.claim_volumes() == [f"{PROJECT}_{key}" for key in KEYS]
    for key in KEYS:
        assert fake.volumes[f"{PROJECT}_{key}"] == {PROJECT_LABEL: PROJECT, VOLUME_LABEL: key}
    record = json.loads(docker.layout.volumes_file.read_text())
    assert record["project"] == PROJECT and sorted(record["volumes"]) == sorted(fake.volumes)
    assert docker.claim_volumes() == [], "the folder's own volumes are accepted as they are"


def test_volumes_of_an_earlier_data_folder_are_refused_before_anything_starts(fake: FakeVolumes,
                                                                              tmp_path: Path) -> None:
    prepared(tmp_path / "first").claim_volumes()
    before = dict(fake.volumes)
    again = prepared(tmp_path / "again")  # .gridledger made again: new crypto, new genesis block
    with pytest.raises(DockerError) as info:
        again.claim_volumes()
    message = str(info.value)
    assert f"compose project {PROJECT} already has volumes that {again.layout.data_dir} did not make" in message
    assert f"({', '.join(KEYS)})" in message and "Nothing was started" in message
    assert f"`gridledger network down --docker --purge --data-dir {again.layout.data_dir}`" in message
    assert f"docker volume ls --quiet --filter label={PROJECT_LABEL}={PROJECT}" in message
    assert fake.volumes == before, "nothing created"
    fake.volumes.clear()  # the purge the message asks for
    assert len(again.claim_volumes()) == len(KEYS)


def test_the_record_holds_for_its_genesis_block_and_its_volumes_only(fake: FakeVolumes, tmp_path: Path) -> None:
    docker = prepared(tmp_path / "data")
    docker.claim_volumes()
    genesis = docker.layout.genesis_path.read_bytes()
    docker.layout.genesis_path.write_bytes(b"another genesis block")
    with pytest.raises(DockerError, match=r"\(orderer0-data, peer0-org1-data, "):
        docker.claim_volumes()
    docker.layout.genesis_path.write_bytes(genesis)
    assert docker.claim_volumes() == []
    record = json.loads(docker.layout.volumes_file.read_text())
    record["volumes"].remove(f"{PROJECT}_peer1-org2-data")  # a volume this folder did not make
    docker.layout.volumes_file.write_text(json.dumps(record))
    with pytest.raises(DockerError, match=r"\(peer1-org2-data\)"):
        docker.claim_volumes()


def test_make_up_prepares_and_refuses_the_same_way(fake: FakeVolumes, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`make up` runs `python -m gridledger.ops.docker prepare` before `compose up`: a non-zero exit stops it."""
    from gridledger.ops.docker.__main__ import main

    args = ["prepare", "--network", str(SOLO_2X2), "--project", PROJECT]
    assert main([*args, "--data-dir", str(tmp_path / "first")]) == 0
    assert sorted(fake.volumes) == sorted(f"{PROJECT}_{key}" for key in KEYS)
    capsys.readouterr()
    assert main([*args, "--data-dir", str(tmp_path / "again")]) == 1
    assert "Nothing was started. Delete them" in capsys.readouterr().err


@pytest.fixture
def real_project(docker_engine: None) -> Iterator[str]:
    name = f"gridledger-test-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        remove_project(name)


@pytest.mark.docker
def test_with_a_real_engine_a_regenerated_folder_meets_its_old_volumes(real_project: str, tmp_path: Path) -> None:
    first = DockerNetwork(tmp_path / "first", project=real_project)
    first.prepare(SOLO_2X2)
    assert len(first.claim_volumes()) == len(KEYS)
    again = DockerNetwork(tmp_path / "again", project=real_project)
    again.prepare(SOLO_2X2)
    with pytest.raises(DockerError, match="Nothing was started"):
        again.claim_volumes()
    listed = subprocess.run(["docker", "volume", "ls", "--quiet", "--filter", f"label={PROJECT_LABEL}={real_project}"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert sorted(listed) == sorted(f"{real_project}_{key}" for key in KEYS)
    again.down(purge=True)  # what the message says; Compose removes the volumes it did not create itself
    assert len(again.claim_volumes()) == len(KEYS)
