"""What a network in containers needs on the host before `docker compose up`, all below one data folder
(`--data-dir`, default ./.gridledger, the same folder host-side CLI commands read):

    <data-dir>/network.json                    which network definition the folder belongs to (as for local runs)
    <data-dir>/crypto/                         all keys and certificates (host clients use the admins and clients)
    <data-dir>/containers/                     mode 0700: private to the user who made it
        genesis.block                          block 0, consenters reachable by node name (their service name)
        genesis.definition.json                the network definition it was made for (ops/provenance.py)
        volumes.json                           the compose volumes made for this genesis block (see project.py)
        project.json                           compose project name and compose file (see project.py)
        docker-compose.yml                     the rendering `gridledger network up --docker` runs
        nodes/<node>/                          mounted read-only at /etc/gridledger in the node's container:
            node.json                          its NodeConfig with container paths; listens on 0.0.0.0; reaches
                                               the other nodes by service name
            genesis.block
            crypto/<msp>/members/<node>/       its own signing and TLS keys and certificates
            crypto/<msp>/tlsca/cert.pem        the TLS CA certificate of every organisation it trusts
        nodes/rest-<org>/                      a peer org's REST service, read-only at /etc/gridledger:
            network.yaml                       the network definition
            crypto/<msp>/members/admin/        the org admin (TLS client of the gateway peer)
            crypto/<msp>/ca/                   the org CA, which issues identities when users are enrolled
            crypto/<msp>/tlsca/cert.pem        every organisation's TLS CA certificate
        nodes/prometheus/prometheus.yml        the `monitoring` profile's scrape configuration (monitoring.py)

A node folder holds only that node's keys (a REST folder its org's admin and CA keys). Its files are world-readable
(0644, folders 0755) because the container runs as an unprivileged user whose uid is not the host user's; the 0700
`containers/` folder above them keeps other host users out. Preparing again keeps existing crypto material and the
genesis block (running nodes have committed it) and rewrites only node files whose content changed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from gridledger.common.material import member_dir
from gridledger.common.nodeconfig import NodeConfig
from gridledger.ops import cryptogen
from gridledger.ops.docker import monitoring
from gridledger.ops.docker.render import CONFIG_DIR, DATA_DIR, REST_NETWORK_FILE, rest_service_name
from gridledger.ops.genesis import write_genesis
from gridledger.ops.localnet import NetworkError, claim, endpoints
from gridledger.ops.netconfig import NetworkDefinition, load_network

LISTEN_HOST = "0.0.0.0"
MEMBER_FILES = ("cert.pem", "key.pem", "tls-cert.pem", "tls-key.pem")


class DockerError(NetworkError):
    """A problem with a network in containers; the message says what to do."""


@dataclass(frozen=True)
class Layout:
    data_dir: Path

    @property
    def marker(self) -> Path:
        return self.data_dir / "network.json"

    @property
    def crypto_dir(self) -> Path:
        return self.data_dir / "crypto"

    @property
    def root(self) -> Path:
        return self.data_dir / "containers"

    @property
    def genesis_path(self) -> Path:
        return self.root / "genesis.block"

    @property
    def nodes_dir(self) -> Path:
        return self.root / "nodes"

    @property
    def compose_file(self) -> Path:
        return self.root / "docker-compose.yml"

    @property
    def project_file(self) -> Path:
        return self.root / "project.json"

    @property
    def volumes_file(self) -> Path:
        return self.root / "volumes.json"

    def node_dir(self, name: str) -> Path:
        return self.nodes_dir / name


def container_node_configs(network: NetworkDefinition) -> list[NodeConfig]:
    """Every node's config as its container sees it: fixed container paths, every endpoint by service name."""
    orderers, peers = endpoints(network, lambda node: node.name)
    config_dir = Path(CONFIG_DIR)
    return [NodeConfig(name=node.name, msp_id=msp_id, role=role, crypto_dir=config_dir / "crypto",
                       genesis_block=config_dir / "genesis.block", data_dir=Path(DATA_DIR), listen_host=LISTEN_HOST,
                       port=node.port, operations_port=node.operations_port, orderers=orderers, peers=peers,
                       trusted_orgs=network.msp_ids)
            for msp_id, role, node in network.all_nodes()]


def prepare(network_file: Path, data_dir: Path) -> tuple[NetworkDefinition, Layout]:
    """Crypto material, the genesis block and every node folder (only what is missing or changed), in a folder
    that holds nothing of another network (localnet.claim)."""
    network = load_network(network_file)
    layout = Layout(data_dir.resolve())
    claim(layout.data_dir, network, network_file, layout.genesis_path, "", DockerError,
          up="gridledger network up --docker")
    cryptogen.generate(network, layout.crypto_dir, source=network_file)
    layout.root.mkdir(parents=True, exist_ok=True)
    layout.root.chmod(0o700)
    if not layout.genesis_path.exists():
        write_genesis(network, layout.crypto_dir, layout.genesis_path, host="", source=network_file)
    layout.genesis_path.chmod(0o644)
    genesis = layout.genesis_path.read_bytes()
    for config in container_node_configs(network):
        write_node_folder(layout, config, genesis)
    for msp_id in network.peer_msp_ids:
        write_rest_folder(layout, network, msp_id, network_file.read_bytes())
    write_monitoring_folder(layout, network)
    return network, layout


def write_node_folder(layout: Layout, config: NodeConfig, genesis: bytes) -> Path:
    folder = layout.node_dir(config.name)
    _sync(folder / "node.json", (config.model_dump_json(indent=2) + "\n").encode(), 0o644)
    _sync(folder / "genesis.block", genesis, 0o644)
    source = member_dir(layout.crypto_dir, config.msp_id, config.name)
    target = member_dir(folder / "crypto", config.msp_id, config.name)
    for name in MEMBER_FILES:
        _sync(target / name, (source / name).read_bytes(), 0o644)
    for msp_id in config.trusted_orgs:
        _sync(folder / "crypto" / msp_id / "tlsca" / "cert.pem",
              (layout.crypto_dir / msp_id / "tlsca" / "cert.pem").read_bytes(), 0o644)
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        path.chmod(0o755)
    return folder


def write_rest_folder(layout: Layout, network: NetworkDefinition, msp_id: str, definition: bytes) -> Path:
    """The org's REST service folder: the network definition, the org admin (the service's TLS client and chain
    reader), the org CA (to issue identities at enrolment) and every org's TLS CA certificate."""
    folder = layout.node_dir(rest_service_name(msp_id))
    _sync(folder / REST_NETWORK_FILE, definition, 0o644)
    source = member_dir(layout.crypto_dir, msp_id, "admin")
    target = member_dir(folder / "crypto", msp_id, "admin")
    for name in MEMBER_FILES:
        _sync(target / name, (source / name).read_bytes(), 0o644)
    for name in ("cert.pem", "key.pem"):
        _sync(folder / "crypto" / msp_id / "ca" / name, (layout.crypto_dir / msp_id / "ca" / name).read_bytes(),
              0o644)
    for org in network.msp_ids:
        _sync(folder / "crypto" / org / "tlsca" / "cert.pem",
              (layout.crypto_dir / org / "tlsca" / "cert.pem").read_bytes(), 0o644)
    for path in [folder, *(p for p in folder.rglob("*") if p.is_dir())]:
        path.chmod(0o755)
    return folder


def write_monitoring_folder(layout: Layout, network: NetworkDefinition) -> Path:
    """The `monitoring` profile's folder: Prometheus's scrape configuration, rendered from the network definition
    (monitoring.py). Written even when the profile is never started: it is one small public file, and a later
    `--profile monitoring up` then needs no second `prepare`."""
    folder = layout.node_dir(monitoring.FOLDER)
    _sync(folder / monitoring.CONFIG_FILE, monitoring.scrape_config_text(network).encode(), 0o644)
    folder.chmod(0o755)
    return folder


def _sync(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` atomically unless it is already there; set the mode either way."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not (path.exists() and path.read_bytes() == data):
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    path.chmod(mode)
