"""Running a network as a Compose project: `docker compose` (v2 plugin) or `docker-compose` (1.29), whichever is
installed, driven through the command line; container state, logs, images and volumes come from the engine through
the Docker SDK (engine.py).

`DockerNetwork` is what `gridledger network up|status|down --docker` use: prepare the host material (material.py),
render the compose file (render.py), make sure the project's volumes were made for this data folder's genesis block
(claim_volumes), start it, and wait until Docker reports every node and REST service healthy.
Containers carry Compose's project label, so a project name with the `gridledger-` prefix keeps parallel runs and
the user's own projects apart."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gridledger.common import hashing
from gridledger.ops.docker import engine
from gridledger.ops.docker.engine import PROJECT_LABEL, VOLUME_LABEL, ContainerState, image_exists
from gridledger.ops.docker.material import DockerError, Layout, prepare
from gridledger.ops.docker.render import DEFAULT_IMAGE, IMAGE_VARIABLE, data_volumes, render, rest_service_name
from gridledger.ops.localnet import DEFAULT_DATA_DIR, NodeStatus, RestStatus, consensus_summary, preferred_rest_port
from gridledger.ops.netconfig import NetworkDefinition, load_network

HOST = "127.0.0.1"
COMPOSE_VARIABLE = "GRIDLEDGER_COMPOSE"  # e.g. "docker-compose" to force one implementation


def project_name(network: NetworkDefinition) -> str:
    return f"gridledger-{network.name}"


def compose_command() -> list[str]:
    """The Compose CLI to use: $GRIDLEDGER_COMPOSE, else the `docker compose` plugin, else `docker-compose`."""
    chosen = os.environ.get(COMPOSE_VARIABLE)
    if chosen:
        return shlex.split(chosen)
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise DockerError("Docker Compose is not installed: neither `docker compose` nor `docker-compose` was found")


def volume_name(project: str, key: str) -> str:
    """The name Compose (docker-compose 1.29 and the v2 plugin alike) gives volume `key` of `project`."""
    return f"{project.lstrip('-_')}_{key}"


def existing_volumes(names: list[str]) -> list[str]:
    """Those of `names` that Docker has."""
    present = engine.volume_names()
    return [name for name in names if name in present]


class ComposeProject:
    """One compose file under one project name."""

    def __init__(self, compose_file: Path, project: str, image: str | None = None) -> None:
        self.compose_file = compose_file
        self.project = project
        self.image = image
        self._command: list[str] | None = None

    def compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        if self._command is None:
            self._command = compose_command()
        command = [*self._command, "--project-name", self.project, "--file", str(self.compose_file), *args]
        env = dict(os.environ)
        if self.image:
            env[IMAGE_VARIABLE] = self.image
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
        if result.returncode != 0:
            raise DockerError(f"`{shlex.join(command)}` failed:\n{(result.stderr or result.stdout).strip()}")
        return result

    def up(self, *services: str) -> None:
        self.compose("up", "--detach", "--remove-orphans", *services)

    def stop(self, *services: str) -> None:
        self.compose("stop", *services)

    def start(self, *services: str) -> None:
        self.compose("start", *services)

    def down(self, volumes: bool = False) -> None:
        self.compose("down", "--remove-orphans", *(["--volumes"] if volumes else []))

    def containers(self) -> dict[str, ContainerState]:
        """The project's containers by service (running or not)."""
        return engine.project_containers(self.project)

    def logs(self, service: str, lines: int = 20) -> str:
        container = self.containers().get(service)
        if container is None:
            return ""
        return engine.logs(container.id, lines)

    def wait_healthy(self, services: list[str], timeout: float) -> dict[str, ContainerState]:
        """Until Docker reports every service running and healthy; fail early when one exits, or restarts while
        we wait (a node that crashes at start-up restarts under the restart policy and would never settle)."""
        deadline = time.monotonic() + timeout
        restarts_before = {name: state.restarts for name, state in self.containers().items()}
        while True:
            states = self.containers()
            for name in services:
                state = states.get(name)
                if state is None:
                    continue
                crashed = state.status in ("exited", "dead") or (
                    state.restarts > restarts_before.get(name, 0) and state.health != "healthy")
                if crashed:
                    raise DockerError(f"container {name} of project {self.project} exited (exit code "
                                      f"{state.exit_code}; {state.restarts} restart(s) so far); its last lines:\n"
                                      f"{self.logs(name)}")
            waiting = [n for n in services if n not in states or states[n].status != "running"
                       or states[n].health not in ("healthy", None)]
            if not waiting:
                return states
            if time.monotonic() > deadline:
                raise DockerError(f"container(s) {', '.join(waiting)} of project {self.project} not healthy after "
                                  f"{timeout:.0f}s; the last lines of {waiting[0]}:\n{self.logs(waiting[0])}")
            time.sleep(0.5)


def _health(port: int | None) -> dict | None:
    if port is None:
        return None
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=1) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


class DockerNetwork:
    """A network in containers whose host material lives in `data_dir` (see material.py)."""

    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR, project: str | None = None,
                 image: str | None = None) -> None:
        self.layout = Layout(data_dir.resolve())
        self._project = project
        self._image = image

    # ----- what the data folder records -----

    def recorded(self) -> dict[str, Any]:
        if not self.layout.project_file.exists():
            raise DockerError(f"no network in containers in {self.layout.data_dir}; start one with "
                              f"`gridledger network up --docker --network FILE --data-dir {self.layout.data_dir}`")
        return json.loads(self.layout.project_file.read_text())

    def definition(self) -> NetworkDefinition:
        return load_network(Path(self.recorded()["network_file"]))

    def project(self) -> ComposeProject:
        recorded = self.recorded()
        return ComposeProject(Path(recorded["compose_file"]), self._project or recorded["project"],
                              self._image or recorded.get("image"))

    # ----- lifecycle -----

    def prepare(self, network_file: Path, compose_file: Path | None = None) -> ComposeProject:
        """Host material, the compose file (rendered into the data folder, or checked against `compose_file`),
        and the record of both in containers/project.json."""
        network, layout = prepare(network_file, self.layout.data_dir)
        target = (compose_file or layout.compose_file).resolve()
        material = os.path.relpath(layout.nodes_dir, target.parent).replace(os.sep, "/")
        text = render(network, material, str(network_file))
        if compose_file is None:
            if not target.exists() or target.read_text() != text:
                target.write_text(text)
        elif not target.exists() or _without_header(target.read_text()) != _without_header(text):
            raise DockerError(f"{compose_file} is not the rendering of {network_file} for data folder "
                              f"{layout.data_dir}; regenerate it: python -m gridledger.ops.docker render "
                              f"--network {network_file} --data-dir {layout.data_dir} --out {compose_file}")
        project = self._project or project_name(network)
        record = {"project": project, "compose_file": str(target), "network_file": str(network_file.resolve()),
                  "image": self._image}
        layout.project_file.write_text(json.dumps(record, indent=2) + "\n")
        return ComposeProject(target, project, self._image)

    def claim_volumes(self) -> list[str]:
        """Before anything starts: every volume the project mounts must have been made for this data folder's
        genesis block. Volumes it did not make are refused: they outlived a `down` and hold the chains of another
        genesis block (the folder was made again since, or another checkout runs the same project), and nodes
        started on them would run half a network on foreign data. Missing volumes are created here, labelled as
        Compose labels its own (so Compose adopts them), and recorded in containers/volumes.json with the project
        and the genesis block's hash. Returns the names of the volumes created.

        Docker keeps no stable mark of a volume that this could record besides its name (labels Compose does not
        know draw a warning from docker-compose 1.29 on every `up`, and the creation time moves with the
        content), so a volume that another folder deleted and made again under the same name passes; the
        orderer still refuses a chain started from another genesis block."""
        project = self.project().project
        genesis = hashing.sha256(self.layout.genesis_path.read_bytes()).hex()
        keys = {volume_name(project, key): key for key in data_volumes(self.definition())}
        existing = existing_volumes(list(keys))
        record = json.loads(self.layout.volumes_file.read_text()) if self.layout.volumes_file.exists() else {}
        ours = set(record.get("volumes", [])) if (record.get("project"), record.get("genesis")) == \
            (project, genesis) else set()
        foreign = [keys[name] for name in existing if name not in ours]
        if foreign:
            raise DockerError(
                f"compose project {project} already has volumes that {self.layout.data_dir} did not make for its "
                f"genesis block ({', '.join(foreign)}): they outlived an earlier `down` and hold the chains of "
                "another genesis block (this data folder was made again since, or another checkout runs the same "
                "project). Nothing was started. Delete them, then start again: `gridledger network down --docker "
                f"--purge --data-dir {self.layout.data_dir}` (or `docker volume rm $(docker volume ls --quiet "
                f"--filter label={PROJECT_LABEL}={project})`). To keep them, start from the data folder that made "
                "them, or give this one another --project.")
        created = [name for name in keys if name not in existing]
        for name in created:
            engine.create_volume(name, {PROJECT_LABEL: project, VOLUME_LABEL: keys[name]})
        self.layout.volumes_file.write_text(json.dumps({"project": project, "genesis": genesis,
                                                        "volumes": sorted({*ours, *keys})}, indent=2) + "\n")
        return created

    def up(self, network_file: Path, timeout: float = 180.0, compose_file: Path | None = None) -> list[NodeStatus]:
        project = self.prepare(network_file, compose_file)
        image = self._image or os.environ.get(IMAGE_VARIABLE) or DEFAULT_IMAGE
        if not image_exists(image):
            raise DockerError(f"image {image} not found; build it with `make images` (no registry needed)")
        self.claim_volumes()
        project.up()
        return self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 180.0) -> list[NodeStatus]:
        """Until every node and every REST service is healthy; the nodes' status."""
        network = self.definition()
        services = [node.name for _, _, node in network.all_nodes()]
        self.project().wait_healthy(services + [rest_service_name(m) for m in network.peer_msp_ids], timeout)
        return self.status()

    def rest_urls(self) -> dict[str, str]:
        """Each peer org's REST service URL on the host, by MSP id."""
        network = self.definition()
        return {m: f"http://{HOST}:{preferred_rest_port(network, m)}" for m in network.peer_msp_ids}

    def rest_status(self) -> list[RestStatus]:
        """The REST services as `network status --json` lists them, healthy by their container's healthcheck."""
        states = self.project().containers()
        result = []
        for msp_id, url in self.rest_urls().items():
            state = states.get(rest_service_name(msp_id))
            running = state is not None and state.status == "running"
            result.append(RestStatus(msp_id, url, f"{url}/docs", None, running, running and state.health == "healthy"))
        return result

    def status(self) -> list[NodeStatus]:
        network = self.definition()
        states = self.project().containers()
        result = []
        for msp_id, role, node in network.all_nodes():
            state = states.get(node.name)
            running = state is not None and state.status == "running"
            health = _health(node.operations_port) if running else None
            url = f"http://{HOST}:{node.operations_port}" if node.operations_port else None
            result.append(NodeStatus(node.name, role, msp_id, f"{HOST}:{node.port}", None, running,
                                     running and state.health in ("healthy", None) and (health is not None or not url),
                                     health.get("height") if health else None, url, consensus_summary(health)))
        return result

    def stop_node(self, name: str) -> None:
        self.project().stop(name)

    def container_id(self, name: str) -> str:
        """The container running node (or REST service) `name`; DockerError when the project has none."""
        project = self.project()
        state = project.containers().get(name)
        if state is None:
            raise DockerError(f"project {project.project} has no container for {name!r}")
        return state.id

    def logs(self, name: str, lines: int) -> str:
        return engine.logs(self.container_id(name), lines)

    def pause_node(self, name: str) -> None:
        engine.pause(self.container_id(name))

    def unpause_node(self, name: str) -> None:
        engine.unpause(self.container_id(name))

    def kill_node(self, name: str) -> None:
        """A crash (SIGKILL, no time to clean up). The engine counts a kill as a stop by hand, so the restart
        policy leaves the node down until `start_node`."""
        engine.kill(self.container_id(name))

    def disconnect_node(self, name: str) -> list[str]:
        """Partition the node from every network it is on; returns them, for `connect_node`."""
        container = self.container_id(name)
        networks = engine.networks_of(container)
        for network in networks:
            engine.disconnect(container, network)
        return networks

    def connect_node(self, name: str, networks: list[str]) -> None:
        """Heal a partition: the node rejoins `networks` under its name, so the others resolve it again."""
        container = self.container_id(name)
        for network in networks:
            engine.connect(container, network, aliases=[name])

    def start_node(self, name: str) -> None:
        self.project().start(name)

    def down(self, purge: bool = False) -> None:
        """Stop and remove the containers and the project network; the volumes (every node's data) too with
        `purge`. The host material in the data folder stays either way."""
        self.project().down(volumes=purge)


def _without_header(text: str) -> str:
    """The compose file without its leading comment lines (which name the source path as it was given)."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines)
