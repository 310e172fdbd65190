"""One-off containers beside a Compose project: a command run from the project's image on the project's network, so
it reaches the nodes by service name as the nodes reach each other (the experiment runner's agent containers use
it). Hardened like the project's own services (render.HARDENING): read-only root with a private /tmp, no
capabilities, no privilege gain, a reaping init. Through the Docker SDK (engine.py), so failures are DockerError.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from gridledger.ops.docker import engine
from gridledger.ops.docker.engine import _engine_errors
from gridledger.ops.docker.material import DockerError
from gridledger.ops.docker.project import volume_name
from gridledger.ops.docker.render import PROJECT_NETWORK

WORKER_LABEL = "org.gridledger.worker"


def project_network(project: str) -> str:
    """The Docker network of `project`'s services (Compose names networks as it names volumes)."""
    return volume_name(project, PROJECT_NETWORK)


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class Worker:
    """A started container: `name` is also the label value, so leftovers of a run can be found."""

    id: str
    name: str


def start_worker(image: str, name: str, command: list[str], network: str, mounts: list[Mount], *,
                 working_dir: str, user: str) -> Worker:
    """Start `command` in a new container `name` on `network`; `user` ("uid:gid") owns what it writes into its
    bind mounts. A container left over under the same name (a run that was killed) is removed first."""
    with _engine_errors(f"cannot start container {name} from {image}"):
        docker = engine.client()
        for old in docker.containers.list(all=True, filters={"name": f"^{name}$"}):
            old.remove(force=True)
        container = docker.containers.run(
            image, command, name=name, detach=True, network=network, user=user, working_dir=working_dir,
            volumes={str(m.source): {"bind": m.target, "mode": "ro" if m.read_only else "rw"} for m in mounts},
            labels={WORKER_LABEL: name}, init=True, read_only=True, tmpfs={"/tmp": ""}, cap_drop=["ALL"],
            security_opt=["no-new-privileges:true"])
        return Worker(container.id, name)


def exit_code(worker: Worker) -> int | None:
    """The container's exit code once it has stopped, None while it runs."""
    with _engine_errors(f"cannot inspect container {worker.name}"):
        container = engine.client().containers.get(worker.id)
        if container.status in ("exited", "dead"):
            return int(container.attrs["State"]["ExitCode"])
        return None


def wait_exited(worker: Worker, timeout: float) -> int:
    """Its exit code; DockerError when it still runs after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while (code := exit_code(worker)) is None:
        if time.monotonic() > deadline:
            raise DockerError(f"container {worker.name} still runs after {timeout:.0f}s")
        time.sleep(0.5)
    return code


def remove_worker(worker: Worker) -> str:
    """Stop (if need be) and remove the container; returns its whole output, for the run's records."""
    with _engine_errors(f"cannot remove container {worker.name}"):
        container = engine.client().containers.get(worker.id)
        output = container.logs().decode(errors="replace")
        container.remove(force=True)
        return output
