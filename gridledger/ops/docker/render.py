"""A network definition rendered as a Compose project (the Compose Specification, read by `docker compose` v2 and
`docker-compose` 1.29 alike): one service per orderer and peer, named after the node, on one project network.

Each service runs the gridledger image with its role as the command, mounts its node folder (node config, genesis
block, its own keys and the TLS CA certificates; see material.py) read-only at /etc/gridledger and a named volume at
/var/lib/gridledger, publishes its gRPC and operations ports on 127.0.0.1 under the network definition's numbers (so
host-side clients find peers exactly as they do for local processes), is health-checked through GET /healthz on its
operations port and restarts unless stopped. Each peer org also gets a REST service (rest_services), and the
optional `monitoring` profile a Prometheus scraping every node (monitoring.py). The output
depends only on its arguments, so the committed docker-compose.yml can be compared with a fresh rendering."""

from __future__ import annotations

import copy
import posixpath
from typing import Any

import yaml

from gridledger.ops.docker import monitoring
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.ops.render.model import (
    CONFIG_DIR,
    DATA_DIR,
    DEFAULT_IMAGE,
    LABEL_PREFIX,
    REST_NETWORK_FILE,
    Service,
    data_volume,
    node_services,
    rest_service_name,
    services,
)
from gridledger.ops.render.model import rest_services as rest_service_models

__all__ = ["CONFIG_DIR", "DATA_DIR", "DEFAULT_IMAGE", "IMAGE_VARIABLE", "LABEL_PREFIX", "PROJECT_NETWORK",
           "REST_NETWORK_FILE", "data_volume", "data_volumes", "render", "render_project", "rest_service_name",
           "rest_services"]

IMAGE_VARIABLE = "GRIDLEDGER_IMAGE"
PROJECT_NETWORK = "ledger"

HEALTHCHECK_TIMING = {"interval": "5s", "timeout": "3s", "retries": 3, "start_period": "60s"}
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}
# Every container of the project, the monitoring profile's too: a reaping init, restarted unless stopped, a read-only
# root with a private /tmp, no capabilities and no privilege gain.
HARDENING = {"init": True, "restart": "unless-stopped", "read_only": True, "tmpfs": ["/tmp"], "cap_drop": ["ALL"],
             "security_opt": ["no-new-privileges:true"]}


def data_volumes(network: NetworkDefinition) -> list[str]:
    """The project's named volumes: one per node and per peer org's REST service."""
    return [service.data_volume for service in services(network)]


def material_path(material_dir: str, node_name: str) -> str:
    """The node folder as the compose file names it: relative paths start with ./ (Compose resolves them against
    the compose file's folder)."""
    path = posixpath.join(material_dir, node_name)
    if not path.startswith(("/", "./", "../")):
        path = f"./{path}"
    return path


def healthcheck(service: Service) -> dict[str, Any]:
    """The service's probe (GET /healthz on its operations port, a TCP connect without one) every 5 s."""
    return {"test": service.probe_command(), **HEALTHCHECK_TIMING}


def compose_service(service: Service, material_dir: str) -> dict[str, Any]:
    """One service of the model as Compose runs it: hardened, its folder bind-mounted read-only (and its mirrors),
    ports published on 127.0.0.1 under the same numbers, restarted unless stopped."""
    folder = material_path(material_dir, service.name)
    rendered: dict[str, Any] = {
        "image": f"${{{IMAGE_VARIABLE}:-{DEFAULT_IMAGE}}}",
        "command": list(service.command),
        "hostname": service.name,
        **copy.deepcopy(HARDENING),
        "labels": service.labels,
    }
    if service.depends_on:
        rendered["depends_on"] = list(service.depends_on)
    rendered.update({
        "ports": [f"127.0.0.1:{port}:{port}" for port in service.ports],
        "volumes": [f"{folder}:{CONFIG_DIR}:ro", f"{service.data_volume}:{DATA_DIR}",
                    *(f"{folder}/{source}:{target}:ro" for source, target in service.mirrors)],
        "networks": [PROJECT_NETWORK],
        "healthcheck": healthcheck(service),
        "logging": copy.deepcopy(LOGGING),
    })
    return rendered


def rest_services(network: NetworkDefinition, material_dir: str) -> dict[str, dict[str, Any]]:
    """One REST service per peer org, named `rest-<org>` (lower case): the same image with role `rest`.

    Its folder `<material_dir>/rest-<org>/` (material.write_rest_folder) holds the network definition and the org's
    admin, CA and every org's TLS CA certificate; it is mounted read-only at /etc/gridledger, and its crypto/ again
    at /var/lib/gridledger/crypto, because the service finds crypto material inside its data folder. The data
    folder /var/lib/gridledger is a named volume owned by the image's user: users, wallet and passphrase live
    there, and `docker compose exec rest-<org> gridledger rest enroll ...` enrols users into it (the service reads
    the user store on every request, so no restart is needed). It talks to its org's first peer by service name
    and publishes its HTTP port on 127.0.0.1 under the local runner's rule (first peer's operations port + 1000).
    """
    return {service.name: compose_service(service, material_dir) for service in rest_service_models(network)}


def render_project(network: NetworkDefinition, material_dir: str) -> dict[str, Any]:
    """The compose project as a mapping; `material_dir` holds one folder per node (made by material.prepare)."""
    rendered = {service.name: compose_service(service, material_dir) for service in node_services(network)}
    rendered.update(rest_services(network, material_dir))
    # The optional profile (monitoring.py): started only with COMPOSE_PROFILES=monitoring or --profile monitoring.
    rendered[monitoring.SERVICE] = monitoring.prometheus_service(material_path(material_dir, monitoring.FOLDER),
                                                                 [PROJECT_NETWORK], HARDENING, LOGGING)
    return {
        "services": rendered,
        "networks": {PROJECT_NETWORK: {}},
        "volumes": {name: {} for name in [*data_volumes(network), monitoring.VOLUME]},
    }


class _Dumper(yaml.SafeDumper):
    """Block style, no anchors or aliases: every service reads on its own."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(network: NetworkDefinition, material_dir: str, source: str) -> str:
    """The compose file text: a header saying where it comes from and what it needs, then the project."""
    folders = material_path(material_dir, "")
    header = (
        f"# gridledger network {network.name!r} in containers, rendered from {source}; do not edit by hand:\n"
        f"#   python -m gridledger.ops.docker render --network {source} --out FILE  (--data-dir DIR: material)\n"
        f"# Needs the image (make images; ${IMAGE_VARIABLE} overrides it) and the node folders in {folders}\n"
        f"# (python -m gridledger.ops.docker prepare --network {source}, or make up).\n"
    )
    body = yaml.dump(render_project(network, material_dir), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, width=200)
    return header + body
