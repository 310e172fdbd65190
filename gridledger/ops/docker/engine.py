"""What the project does to containers beyond Compose itself, through the Docker SDK for Python (the `docker`
package) talking to the engine's API: container state and logs, and the faults tests inject (pause and unpause,
kill, disconnecting a container from its networks and connecting it again). Images and volumes are looked up and
made here too.

Compose (project.py) still starts and stops projects; everything that reads or pokes one container comes here, so
no code parses the docker CLI's output. Engine errors become DockerError with the engine's own explanation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import docker
from docker.errors import DockerException, NotFound
from docker.models.containers import Container

from gridledger.ops.docker.material import DockerError

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
VOLUME_LABEL = "com.docker.compose.volume"


@dataclass(frozen=True)
class ContainerState:
    id: str
    service: str
    status: str  # created, running, paused, restarting, exited, ...
    health: str | None  # starting, healthy, unhealthy; None without a healthcheck
    restarts: int
    exit_code: int


@contextmanager
def _engine_errors(action: str) -> Iterator[None]:
    try:
        yield
    except DockerException as exc:
        raise DockerError(f"{action}: {exc}") from None


@cache
def client() -> docker.DockerClient:
    """The engine named by the environment (DOCKER_HOST, or the local socket), one connection pool per process."""
    with _engine_errors("cannot reach the Docker engine"):
        return docker.from_env()


def image_exists(image: str) -> bool:
    try:
        with _engine_errors(f"cannot look up image {image}"):
            client().images.get(image)
    except DockerError as exc:
        if isinstance(exc.__context__, NotFound):
            return False
        raise
    return True


def volume_names() -> set[str]:
    with _engine_errors("cannot list the volumes"):
        return {volume.name for volume in client().volumes.list()}


def create_volume(name: str, labels: dict[str, str]) -> None:
    with _engine_errors(f"cannot create volume {name}"):
        client().volumes.create(name=name, labels=labels)


def _state(container: Container) -> ContainerState:
    info = container.attrs
    state = info["State"]
    service = info["Config"]["Labels"].get(SERVICE_LABEL, container.name)
    return ContainerState(container.id, service, state["Status"], (state.get("Health") or {}).get("Status"),
                          info.get("RestartCount", 0), state.get("ExitCode", 0))


def project_containers(project: str) -> dict[str, ContainerState]:
    """A Compose project's containers by service, running or not."""
    with _engine_errors(f"cannot list the containers of project {project}"):
        found = client().containers.list(all=True, filters={"label": f"{PROJECT_LABEL}={project}"})
        return {state.service: state for state in map(_state, found)}


def _container(container_id: str) -> Container:
    return client().containers.get(container_id)


def logs(container_id: str, lines: int) -> str:
    """The container's last `lines` lines of output (stdout and stderr interleaved, as written)."""
    with _engine_errors(f"cannot read the logs of {container_id[:12]}"):
        return _container(container_id).logs(tail=lines).decode(errors="replace").strip()


def pause(container_id: str) -> None:
    """Freeze every process of the container (SIGSTOP-like, through the cgroup freezer): a node that hangs."""
    with _engine_errors(f"cannot pause {container_id[:12]}"):
        _container(container_id).pause()


def unpause(container_id: str) -> None:
    with _engine_errors(f"cannot unpause {container_id[:12]}"):
        _container(container_id).unpause()


def kill(container_id: str, signal: str = "SIGKILL") -> None:
    """A crash: the container's main process gets `signal` with no time to clean up."""
    with _engine_errors(f"cannot kill {container_id[:12]}"):
        _container(container_id).kill(signal=signal)


def networks_of(container_id: str) -> list[str]:
    with _engine_errors(f"cannot inspect {container_id[:12]}"):
        return sorted(_container(container_id).attrs["NetworkSettings"]["Networks"])


def disconnect(container_id: str, network: str) -> None:
    """Cut the container off `network` (a partition); `connect` heals it."""
    with _engine_errors(f"cannot disconnect {container_id[:12]} from {network}"):
        client().networks.get(network).disconnect(container_id)


def connect(container_id: str, network: str, aliases: list[str] | None = None) -> None:
    with _engine_errors(f"cannot connect {container_id[:12]} to {network}"):
        client().networks.get(network).connect(container_id, aliases=aliases)
