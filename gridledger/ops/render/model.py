"""The services a network definition runs as, before any orchestrator is chosen: the one model the compose
(ops/docker/render.py), swarm (swarm.py) and Kubernetes (k8s.py) renderers start from, so a service's name, command,
ports, health probe, labels, data volume and the files it reads are decided once.

Every orderer and peer is a service named after its node; every peer org adds a REST service `rest-<org>`. A
service reads its files from one folder mounted at CONFIG_DIR (material.py writes that folder on the host for
Compose); each file is listed with whether it is a private key (a Docker secret, a Kubernetes Secret) or public
(a Docker config, a ConfigMap), and files that several services share (the genesis block, each org's TLS CA
certificate, the network definition) carry one shared name, so an orchestrator stores them once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gridledger.ops.localnet import preferred_rest_port
from gridledger.ops.netconfig import NetworkDefinition, Node

CONFIG_DIR = "/etc/gridledger"  # node config, genesis block and crypto material (read-only)
DATA_DIR = "/var/lib/gridledger"  # the node's ledger or chain (a named volume)
DEFAULT_IMAGE = "gridledger:latest"
LABEL_PREFIX = "org.gridledger"
REST_NETWORK_FILE = "network.yaml"  # the network definition in a REST service's folder
IMAGE_UID = 10001  # the image's unprivileged user (deploy/Dockerfile), who must read keys and own the data
HEALTH_PATH = "/healthz"
MEMBER_KEYS = ("key.pem", "tls-key.pem")
MEMBER_CERTS = ("cert.pem", "tls-cert.pem")


@dataclass(frozen=True)
class MountedFile:
    """One file of a service's folder: `path` below CONFIG_DIR; `secret` for private keys; `shared` names a file
    that is the same for every service mounting it (else it belongs to this service alone)."""

    path: str
    secret: bool = False
    shared: str | None = None

    def object_name(self, service: str) -> str:
        """A name for the stored object (Docker config or secret, ConfigMap or Secret key): DNS-safe, unique in a
        network, the same for every service sharing the file."""
        if self.shared:
            return self.shared
        tail = re.sub(r"^crypto/[^/]+/(members/[^/]+/)?", "", self.path)
        return _slug(f"{service}-{tail}")


@dataclass(frozen=True)
class Service:
    """One container of the network, whatever runs it."""

    name: str
    role: str  # orderer, peer or rest
    msp_id: str
    command: tuple[str, ...]
    ports: tuple[int, ...]  # every port it listens on, published under the same number
    probe_port: int  # GET /healthz here, or a TCP connect when probe_http is False
    probe_http: bool
    depends_on: tuple[str, ...]
    files: tuple[MountedFile, ...]
    # folders of CONFIG_DIR mounted a second time elsewhere (the REST service finds crypto in its data folder)
    mirrors: tuple[tuple[str, str], ...] = field(default=())

    @property
    def data_volume(self) -> str:
        return data_volume(self.name)

    @property
    def labels(self) -> dict[str, str]:
        return {f"{LABEL_PREFIX}.node": self.name, f"{LABEL_PREFIX}.role": self.role,
                f"{LABEL_PREFIX}.org": self.msp_id}

    def probe_command(self) -> list[str]:
        """The health check inside the container: the image has Python, so no curl is needed; -S skips site
        packages to keep each check cheap."""
        if self.probe_http:
            probe = ("import urllib.request; "
                     f"urllib.request.urlopen('http://127.0.0.1:{self.probe_port}{HEALTH_PATH}', timeout=2)")
        else:
            probe = f"import socket; socket.create_connection(('127.0.0.1', {self.probe_port}), timeout=2).close()"
        return ["CMD", "python", "-S", "-c", probe]

    def mounts(self) -> list[tuple[MountedFile, str]]:
        """Every file with each absolute path it appears at inside the container (mirrors included)."""
        found = [(f, f"{CONFIG_DIR}/{f.path}") for f in self.files]
        for folder, target in self.mirrors:
            found += [(f, f"{target}/{f.path.removeprefix(folder + '/')}") for f in self.files
                      if f.path.startswith(folder + "/")]
        return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def data_volume(name: str) -> str:
    return f"{name}-data"


def rest_service_name(msp_id: str) -> str:
    return f"rest-{msp_id.lower()}"


def tlsca_file(msp_id: str) -> MountedFile:
    return MountedFile(f"crypto/{msp_id}/tlsca/cert.pem", shared=_slug(f"tlsca-{msp_id}"))


def member_files(msp_id: str, member: str) -> list[MountedFile]:
    folder = f"crypto/{msp_id}/members/{member}"
    return [MountedFile(f"{folder}/{name}", secret=name in MEMBER_KEYS) for name in (*MEMBER_CERTS, *MEMBER_KEYS)]


def node_services(network: NetworkDefinition) -> list[Service]:
    """One service per orderer and peer, in definition order; peers start after the orderers (start order only:
    a peer retries its orderers until one answers)."""
    orderers = tuple(n.name for _, n in network.orderer_nodes())
    return [_node_service(network, msp_id, role, node, orderers if role == "peer" else ())
            for msp_id, role, node in network.all_nodes()]


def _node_service(network: NetworkDefinition, msp_id: str, role: str, node: Node,
                  depends_on: tuple[str, ...]) -> Service:
    files = [MountedFile("node.json"), MountedFile("genesis.block", shared="genesis-block"),
             *member_files(msp_id, node.name), *(tlsca_file(org) for org in network.msp_ids)]
    ports = (node.port,) if node.operations_port is None else (node.port, node.operations_port)
    return Service(name=node.name, role=role, msp_id=msp_id, command=(role,), ports=ports,
                   probe_port=node.operations_port or node.port, probe_http=node.operations_port is not None,
                   depends_on=depends_on, files=tuple(files))


def rest_services(network: NetworkDefinition) -> list[Service]:
    """One REST service per peer org: its org's admin (TLS client and chain reader), the org CA (it issues
    identities at enrolment) and every org's TLS CA; it talks to its org's first peer by service name and listens
    on the local runner's port (first peer's operations port + 1000). It finds crypto material inside its data
    folder, so its crypto/ is mirrored at DATA_DIR/crypto."""
    services = []
    for org in network.peer_orgs:
        first = org.peers[0]
        port = preferred_rest_port(network, org.msp_id)
        files = [MountedFile(REST_NETWORK_FILE, shared="network-definition"), *member_files(org.msp_id, "admin"),
                 MountedFile(f"crypto/{org.msp_id}/ca/cert.pem"),
                 MountedFile(f"crypto/{org.msp_id}/ca/key.pem", secret=True),
                 *(tlsca_file(msp_id) for msp_id in network.msp_ids)]
        command = ("rest", "--org", org.msp_id, "--host", "0.0.0.0", "--port", str(port), "--data-dir", DATA_DIR,
                   "--network", f"{CONFIG_DIR}/{REST_NETWORK_FILE}", "--peer-address", f"{first.name}:{first.port}")
        services.append(Service(name=rest_service_name(org.msp_id), role="rest", msp_id=org.msp_id, command=command,
                                ports=(port,), probe_port=port, probe_http=True, depends_on=(first.name,),
                                files=tuple(files), mirrors=(("crypto", f"{DATA_DIR}/crypto"),)))
    return services


def services(network: NetworkDefinition) -> list[Service]:
    """Every service of the network: nodes first, then the REST services."""
    return [*node_services(network), *rest_services(network)]
