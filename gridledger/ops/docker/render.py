"""A network definition rendered as a Compose project (the Compose Specification, read by `docker compose` v2 and
`docker-compose` 1.29 alike): one service per orderer and peer, named after the node, on one project network.

Each service runs the gridledger image with its role as the command, mounts its node folder (node config, genesis
block, its own keys and the TLS CA certificates; see material.py) read-only at /etc/gridledger and a named volume at
/var/lib/gridledger, publishes its gRPC and operations ports on 127.0.0.1 under the network definition's numbers (so
host-side clients find peers exactly as they do for local processes), is health-checked through GET /healthz on its
operations port and restarts unless stopped. Each peer org also gets a REST service (rest_services). The output
depends only on its arguments, so the committed docker-compose.yml can be compared with a fresh rendering."""

from __future__ import annotations

import copy
import posixpath
from typing import Any

import yaml

from gridledger.ops.localnet import preferred_rest_port
from gridledger.ops.netconfig import NetworkDefinition, Node

CONFIG_DIR = "/etc/gridledger"  # node config, genesis block and crypto material (read-only)
DATA_DIR = "/var/lib/gridledger"  # the node's ledger or chain (a named volume)
IMAGE_VARIABLE = "GRIDLEDGER_IMAGE"
DEFAULT_IMAGE = "gridledger:latest"
PROJECT_NETWORK = "ledger"
LABEL_PREFIX = "org.gridledger"
REST_NETWORK_FILE = "network.yaml"  # the network definition in a REST service's folder

HEALTHCHECK_TIMING = {"interval": "5s", "timeout": "3s", "retries": 3, "start_period": "60s"}
LOGGING = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


def data_volume(node_name: str) -> str:
    return f"{node_name}-data"


def data_volumes(network: NetworkDefinition) -> list[str]:
    """The project's named volumes: one per node and per peer org's REST service."""
    return [*(data_volume(node.name) for _, _, node in network.all_nodes()),
            *(data_volume(rest_service_name(org.msp_id)) for org in network.peer_orgs)]


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


def rest_service_name(msp_id: str) -> str:
    return f"rest-{msp_id.lower()}"


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
    services: dict[str, dict[str, Any]] = {}
    for org in network.peer_orgs:
        name = rest_service_name(org.msp_id)
        first = org.peers[0]
        port = preferred_rest_port(network, org.msp_id)
        folder = material_path(material_dir, name)
        probe = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/healthz', timeout=2)"
        services[name] = {
            "image": f"${{{IMAGE_VARIABLE}:-{DEFAULT_IMAGE}}}",
            "command": ["rest", "--org", org.msp_id, "--host", "0.0.0.0", "--port", str(port),
                        "--data-dir", DATA_DIR, "--network", f"{CONFIG_DIR}/{REST_NETWORK_FILE}",
                        "--peer-address", f"{first.name}:{first.port}"],
            "hostname": name,
            "init": True,
            "restart": "unless-stopped",
            "read_only": True,
            "tmpfs": ["/tmp"],
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges:true"],
            "labels": {f"{LABEL_PREFIX}.node": name, f"{LABEL_PREFIX}.role": "rest",
                       f"{LABEL_PREFIX}.org": org.msp_id},
            "depends_on": [first.name],
            "ports": [f"127.0.0.1:{port}:{port}"],
            "volumes": [f"{folder}:{CONFIG_DIR}:ro",
                        f"{data_volume(name)}:{DATA_DIR}",
                        f"{folder}/crypto:{DATA_DIR}/crypto:ro"],
            "networks": [PROJECT_NETWORK],
            "healthcheck": {"test": ["CMD", "python", "-S", "-c", probe], **HEALTHCHECK_TIMING},
            "logging": copy.deepcopy(LOGGING),
        }
    return services


def render_project(network: NetworkDefinition, material_dir: str) -> dict[str, Any]:
    """The compose project as a mapping; `material_dir` holds one folder per node (made by material.prepare)."""
    orderers = [n.name for _, n in network.orderer_nodes()]
    services: dict[str, Any] = {}
    for msp_id, role, node in network.all_nodes():
        services[node.name] = node_service(role, msp_id, node, material_dir, orderers if role == "peer" else [])
    services.update(rest_services(network, material_dir))
    return {
        "services": services,
        "networks": {PROJECT_NETWORK: {}},
        "volumes": {name: {} for name in data_volumes(network)},
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
