"""Running a network as a Docker Swarm stack: `gridledger network up|status|down --swarm`.

The host material is the compose path's (material.prepare: crypto, genesis block, node folders below the data
folder); the stack file (ops/render/swarm.py) is rendered into `<data-dir>/containers/stack.yml`, which names
those files as configs and secrets, and the stack is recorded in `<data-dir>/containers/stack.json`. Deploying
and removing go through the docker CLI (`docker stack deploy|rm`: the Docker SDK has no stacks); what runs is read
from the engine through the Docker SDK (engine.client): services by the stack's namespace label, their tasks, and
the container of a task when it runs on this host.

A task with a healthcheck stays `starting` until its container is healthy, so "every service has a running task"
is "every service is healthy" on any number of hosts. Removing a stack is asynchronous in the engine: `down` waits
until the stack's containers and network are gone, so a following `up` does not meet half of them."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

from gridledger.common import hashing
from gridledger.ops.docker import engine
from gridledger.ops.docker.engine import _engine_errors as _errors  # engine errors as DockerError
from gridledger.ops.docker.material import DockerError, Layout, prepare
from gridledger.ops.docker.project import HOST, _health, existing_volumes, volume_name
from gridledger.ops.docker.render import IMAGE_VARIABLE
from gridledger.ops.localnet import DEFAULT_DATA_DIR, NodeStatus, consensus_summary
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.ops.render import swarm
from gridledger.ops.render.model import DEFAULT_IMAGE, node_services, services

NAMESPACE_LABEL = "com.docker.stack.namespace"
STACK_FILE = "stack.yml"
RECORD_FILE = "stack.json"
UNPLACEABLE_S = 15.0  # a task pending this long with an error from the scheduler will not be placed by waiting


def stack_name(network: NetworkDefinition) -> str:
    """Apart from the compose project's name (gridledger-<name>): volumes are named after both, and a swarm of the
    same network on the same host must not start on the compose project's chains."""
    return f"gridledger-{network.name}-swarm"


def stack_network(stack: str, channel: str) -> str:
    """The Docker name of `stack`'s overlay network for `channel` (`docker stack deploy` prefixes the stack's name
    to the stack file's network), which one-off containers such as experiment agents can join."""
    return f"{stack}_{channel}"


def _docker_cli(*args: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
    command = ["docker", *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                env={**os.environ, **(env or {})})
    except FileNotFoundError:
        raise DockerError("the docker command is not installed") from None
    if result.returncode != 0:
        raise DockerError(f"`{shlex.join(command)}` failed:\n{(result.stderr or result.stdout).strip()}")
    return result.stdout


def require_manager() -> None:
    """Stacks are deployed on a swarm manager; say how to make this host one."""
    with _errors("cannot reach the Docker engine"):
        state = engine.client().info().get("Swarm", {})
    if state.get("LocalNodeState") != "active":
        raise DockerError("this Docker engine is not in a swarm: `docker swarm init` makes it a one-host swarm "
                          "(docs/multihost.md joins more hosts)")
    if not state.get("ControlAvailable"):
        raise DockerError("this host is a swarm worker; deploy from a manager (`docker node ls` there lists them)")


def label_hosts(network: NetworkDefinition) -> list[str]:
    """Every org must have a host labelled for it, or its services would stay pending forever. A one-host swarm
    (a laptop) gets the missing labels here; with more hosts the operator decides, and a missing label is refused
    with the command that adds it. Returns the labels added."""
    with _errors("cannot list the swarm's nodes"):
        nodes = engine.client().nodes.list()
    wanted = [swarm.org_label(msp_id) for msp_id in network.msp_ids]
    if len(nodes) == 1:
        spec = nodes[0].attrs["Spec"]
        missing = [label for label in wanted if spec.get("Labels", {}).get(label) != "true"]
        if missing:
            with _errors("cannot label this swarm node"):
                nodes[0].update({**spec, "Labels": {**spec.get("Labels", {}), **dict.fromkeys(missing, "true")}})
        return missing
    labelled = {label for node in nodes for label, value in node.attrs["Spec"].get("Labels", {}).items()
                if value == "true"}
    unplaced = [label for label in wanted if label not in labelled]
    if unplaced:
        raise DockerError("no swarm node may run the services of " + ", ".join(unplaced) + "; label one host per "
                          "org, e.g. `docker node update --label-add " + unplaced[0] + "=true HOST` "
                          "(docs/multihost.md)")
    return []


class SwarmNetwork:
    """A network deployed as a swarm stack from the host material in `data_dir`."""

    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR, stack: str | None = None, image: str | None = None) -> None:
        self.layout = Layout(data_dir.resolve())
        self._stack = stack
        self._image = image

    @property
    def stack_file(self) -> Path:
        return self.layout.root / STACK_FILE

    @property
    def record_file(self) -> Path:
        return self.layout.root / RECORD_FILE

    def recorded(self) -> dict[str, Any]:
        if not self.record_file.exists():
            raise DockerError(f"no swarm stack recorded in {self.layout.data_dir}; deploy one with "
                              f"`gridledger network up --swarm --network FILE --data-dir {self.layout.data_dir}`")
        return json.loads(self.record_file.read_text())

    @property
    def stack(self) -> str:
        return self._stack or self.recorded()["stack"]

    def definition(self) -> NetworkDefinition:
        return load_network(Path(self.recorded()["network_file"]))

    def prepare(self, network_file: Path) -> NetworkDefinition:
        """Host material, the stack file and the record of both."""
        network, layout = prepare(network_file, self.layout.data_dir)
        text = swarm.render(network, os.path.relpath(layout.nodes_dir, layout.root), str(network_file))
        if not self.stack_file.exists() or self.stack_file.read_text() != text:
            self.stack_file.write_text(text)
        # A second `up` without --project keeps the stack the folder already runs, and its volumes' record.
        before = json.loads(self.record_file.read_text()) if self.record_file.exists() else {}
        record = {**before, "stack": self._stack or before.get("stack") or stack_name(network),
                  "stack_file": str(self.stack_file), "network_file": str(network_file.resolve()),
                  "image": self._image}
        self.record_file.write_text(json.dumps(record, indent=2) + "\n")
        return network

    def up(self, network_file: Path, timeout: float = 180.0) -> list[NodeStatus]:
        """Prepare, check the swarm (manager, labels, image), deploy, and wait until every service is healthy."""
        network = self.prepare(network_file)
        image = self._image or os.environ.get(IMAGE_VARIABLE) or DEFAULT_IMAGE
        self.claim_volumes(network)
        require_manager()
        if not engine.image_exists(image):
            raise DockerError(f"image {image} not found; build it with `make images` (swarm stacks cannot build; "
                              "every host needs the image, docs/multihost.md)")
        label_hosts(network)
        _docker_cli("stack", "deploy", "--prune", "--resolve-image", "never", "--compose-file", str(self.stack_file),
                    self.stack, env={IMAGE_VARIABLE: image})
        return self.wait_healthy(timeout)

    def claim_volumes(self, network: NetworkDefinition) -> None:
        """Before deploying: this host's volumes of the stack must have been meant for this data folder's genesis
        block, as the compose path checks its own (project.py, DockerNetwork.claim_volumes). Volumes outlive
        `down`; a stack of the same name from another data folder (or this one made again) left chains of another
        genesis block, and nodes started on them would run half a network on foreign data. The volumes the stack
        will make are recorded (stack.json: genesis hash and names) before it is deployed. Only this host's
        volumes can be seen; on other hosts the orderers still refuse a chain of another genesis block."""
        genesis = hashing.sha256(self.layout.genesis_path.read_bytes()).hex()
        names = [volume_name(self.stack, s.data_volume) for s in services(network)]
        record = self.recorded()
        ours = set(record.get("volumes", [])) if record.get("genesis") == genesis else set()
        foreign = [name for name in existing_volumes(names) if name not in ours]
        if foreign:
            raise DockerError(
                f"this host already has volumes of stack {self.stack} that {self.layout.data_dir} did not make for "
                f"its genesis block ({', '.join(foreign)}): they outlived an earlier `down` and hold another chain. "
                f"Nothing was deployed. Delete them (`docker volume rm {' '.join(foreign)}`), or give this folder "
                "another stack name (--project)")
        self.record_file.write_text(json.dumps({**record, "genesis": genesis, "volumes": names}, indent=2) + "\n")

    # ----- what runs -----

    def tasks(self) -> dict[str, list[dict[str, Any]]]:
        """The stack's services (by the model's name) with their tasks, newest first."""
        with _errors(f"cannot list the tasks of stack {self.stack}"):
            found = engine.client().services.list(filters={"label": f"{NAMESPACE_LABEL}={self.stack}"})
            prefix = f"{self.stack}_"
            return {s.name.removeprefix(prefix): sorted(s.tasks(), key=lambda t: t["CreatedAt"], reverse=True)
                    for s in found}

    @staticmethod
    def running_task(tasks: list[dict[str, Any]]) -> dict[str, Any] | None:
        return next((t for t in tasks if t["DesiredState"] == "running" and t["Status"]["State"] == "running"),
                    None)

    def wait_healthy(self, timeout: float = 180.0) -> list[NodeStatus]:
        """Until every service of the network has a running (so healthy) task; on timeout the error names the
        services still waiting and what the engine says about their latest tasks (pending on placement, failed
        with an exit code)."""
        wanted = [s.name for s in services(self.definition())]
        deadline = time.monotonic() + timeout
        unplaceable_since: dict[str, float] = {}
        while True:
            tasks = self.tasks()
            waiting = [name for name in wanted if self.running_task(tasks.get(name, [])) is None]
            if not waiting:
                return self.status()
            now = time.monotonic()
            for name in waiting:
                latest = tasks[name][0]["Status"] if tasks.get(name) else {}
                if latest.get("State") == "pending" and latest.get("Err"):
                    unplaceable_since.setdefault(name, now)
                else:
                    unplaceable_since.pop(name, None)
            stuck = [name for name, since in unplaceable_since.items() if now - since > UNPLACEABLE_S]
            if stuck:
                raise DockerError(f"stack {self.stack}: no host can run {', '.join(stuck)}: "
                                  f"{tasks[stuck[0]][0]['Status']['Err']} (another network on the same ports, or "
                                  "a missing org label; `docker service ps --no-trunc` says more). The stack stays "
                                  f"deployed: {self._remove_hint()}")
            if now > deadline:
                reasons = []
                for name in waiting:
                    latest = tasks.get(name, [{}])[0] if tasks.get(name) else {}
                    status = latest.get("Status", {})
                    reasons.append(f"{name}: {status.get('State', 'no task')} {status.get('Err', '')}".strip())
                raise DockerError(f"stack {self.stack}: service(s) not healthy after {timeout:.0f}s:\n  "
                                  + "\n  ".join(reasons) + f"\n{self._remove_hint()}")
            time.sleep(0.5)

    def _remove_hint(self) -> str:
        return f"`gridledger network down --swarm --data-dir {self.layout.data_dir}` removes it"

    def container_id(self, name: str) -> str:
        """The container of service `name`'s running task (on this host)."""
        task = self.running_task(self.tasks().get(name, []))
        if task is None:
            raise DockerError(f"stack {self.stack} has no running task for {name!r}")
        return task["Status"]["ContainerStatus"]["ContainerID"]

    def kill_node(self, name: str) -> None:
        """A crash of the node's container; the swarm starts a new task (restart policy `any`)."""
        engine.kill(self.container_id(name))

    def status(self) -> list[NodeStatus]:
        """Each node as `network status` lists it: running from its task, healthy and height from its published
        operations port on this host."""
        tasks = self.tasks()
        result = []
        for service in node_services(self.definition()):
            running = self.running_task(tasks.get(service.name, [])) is not None
            port = service.probe_port if service.probe_http else None
            health = _health(port) if running else None
            url = f"http://{HOST}:{port}" if port else None
            result.append(NodeStatus(service.name, service.role, service.msp_id, f"{HOST}:{service.ports[0]}", None,
                                     running, running and (health is not None or url is None),
                                     health.get("height") if health else None, url, consensus_summary(health)))
        return result

    def down(self, purge: bool = False, timeout: float = 120.0) -> None:
        """Remove the stack (services, configs, secrets, network) and wait until its containers and network are
        gone; with `purge` also this host's volumes of the stack (every node's data on this host)."""
        _docker_cli("stack", "rm", self.stack)
        label = {"label": f"{NAMESPACE_LABEL}={self.stack}"}
        deadline = time.monotonic() + timeout
        with _errors(f"cannot remove stack {self.stack}"):
            client = engine.client()
            # sparse: no inspection of each container, which may be gone between listing and inspecting
            while client.containers.list(all=True, sparse=True, filters=label) \
                    or client.networks.list(filters=label):
                if time.monotonic() > deadline:
                    raise DockerError(f"stack {self.stack}: containers or network still there {timeout:.0f}s "
                                      "after `docker stack rm`")
                time.sleep(0.5)
            if purge:
                for volume in client.volumes.list(filters=label):
                    volume.remove(force=True)
