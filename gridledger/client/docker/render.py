"""A network definition rendered as a Compose project (the Compose Specification, read by `docker compose` v2 and
`docker-compose` 1.29 alike): one service per orderer and peer, named after the node, on one project network.

Each service runs the gridledger image with its role as the command, mounts its node folder (node config, genesis
block, its own keys and the TLS CA certificates; see material.py) read-only at /etc/gridledger and a named volume
at /var/lib/gridledger, publishes its gRPC and operations ports on 127.0.0.1 under the network definition's numbers
(so host-side clients find peers exactly as they do for local processes), is health-checked through GET /healthz
on its operations port and restarts unless stopped. The output depends only on its arguments, so the committed
docker-compose.yml can be compared with a fresh rendering.
"""

from __future__ import annotations

import copy
import posixpath
from typing import Any

import yaml

from gridledger.common.netconfig import NetworkDefinition, Node

CONFIG_DIR = "/etc/gridledger"  # node config, genesis block and crypto material (read-only)
DATA_DIR = "/var/lib/gridledger"  # the node's ledger or chain (a named volume)
IMAGE_VARIABLE = "GRIDLEDGER_IMAGE"
DEFAULT_IMAGE = "gridledger:latest"
PROJECT_NETWORK = "ledger"
LABEL_PREFIX = "org.gridledger"

HEALTHCHECK_TIMING = {"interval": "5s", "timeout": "3s", "retries": 3, "start_period": "60s"}
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


def data_volume(node_name: str) -> str:
    return f"{node_name}-data"


def material_path(material_dir: str, node_name: str) -> str:
    """The node folder as the compose file names it: relative paths start with ./ (Compose resolves them against
    the compose file's folder)."""
    path = posixpath.join(material_dir, node_name)
    if not path.startswith(("/", "./", "../")):
        path = f"./{path}"
    return path


def healthcheck(node: Node) -> dict[str, Any]:
    """GET /healthz on the operations port; a TCP connect to the gRPC port for a node without one. The image has
    Python, so no curl is needed; -S skips site packages to keep each check cheap."""
    if node.operations_port is not None:
        probe = ("import urllib.request; "
                 f"urllib.request.urlopen('http://127.0.0.1:{node.operations_port}/healthz', timeout=2)")
    else:
        probe = f"import socket; socket.create_connection(('127.0.0.1', {node.port}), timeout=2).close()"
    return {"test": ["CMD", "python", "-S", "-c", probe], **HEALTHCHECK_TIMING}


def node_service(role: str, msp_id: str, node: Node, material_dir: str, depends_on: list[str]) -> dict[str, Any]:
    ports = [f"127.0.0.1:{node.port}:{node.port}"]
    if node.operations_port is not None:
        ports.append(f"127.0.0.1:{node.operations_port}:{node.operations_port}")
    service: dict[str, Any] = {
        "image": f"${{{IMAGE_VARIABLE}:-{DEFAULT_IMAGE}}}",
        "command": [role],
        "hostname": node.name,
        "init": True,
        "restart": "unless-stopped",
        "read_only": True,
        "tmpfs": ["/tmp"],
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "labels": {f"{LABEL_PREFIX}.node": node.name, f"{LABEL_PREFIX}.role": role, f"{LABEL_PREFIX}.org": msp_id},
    }
    if depends_on:
        service["depends_on"] = depends_on
    service.update({
        "ports": ports,
        "volumes": [f"{material_path(material_dir, node.name)}:{CONFIG_DIR}:ro",
                    f"{data_volume(node.name)}:{DATA_DIR}"],
        "networks": [PROJECT_NETWORK],
        "healthcheck": healthcheck(node),
        "logging": copy.deepcopy(LOGGING),
    })
    return service


def rest_services(network: NetworkDefinition, material_dir: str) -> dict[str, dict[str, Any]]:
    """Extension point: one REST service per peer org, once the REST service (gridledger/services) exists.

    Each would be named `rest-<org>` (lower case), run `command: [rest]` (a new role in deploy/docker-entrypoint.sh),
    depend on its org's peers, mount a folder with its org's client identities read-only (written by
    material.prepare next to the node folders), talk to its org's peers by service name, keep its users in a named
    volume, and publish its HTTP port (the local runner's port rule, so host clients find it at the same URL) on
    127.0.0.1 with a healthcheck on its own health endpoint. `gridledger network status --json` lists them under
    "rest". There is no REST service yet, so: none.
    """
    return {}


def render_project(network: NetworkDefinition, material_dir: str) -> dict[str, Any]:
    """The compose project as a mapping; `material_dir` holds one folder per node (made by material.prepare)."""
    orderers = [n.name for n in network.orderer_org.orderers]
    services: dict[str, Any] = {}
    for msp_id, role, node in network.all_nodes():
        services[node.name] = node_service(role, msp_id, node, material_dir, orderers if role == "peer" else [])
    services.update(rest_services(network, material_dir))
    return {
        "services": services,
        "networks": {PROJECT_NETWORK: {}},
        "volumes": {data_volume(node.name): {} for _, _, node in network.all_nodes()},
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
        f"#   python -m gridledger.client.docker render --network {source} --out FILE  (--data-dir DIR: material)\n"
        f"# Needs the image (make images; ${IMAGE_VARIABLE} overrides it) and the node folders in {folders}\n"
        f"# (python -m gridledger.client.docker prepare --network {source}, or make up).\n"
    )
    body = yaml.dump(render_project(network, material_dir), Dumper=_Dumper, sort_keys=False,
                     default_flow_style=False, width=200)
    return header + body
