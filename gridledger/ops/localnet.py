"""Running a network as local OS processes on 127.0.0.1, every node in its own process with its data under one
folder (`--data-dir`, default ./.gridledger):

    <data-dir>/network.json            which network definition the folder belongs to
    <data-dir>/crypto/ , genesis.block  material made on first `up`; crypto/definition.json and
                                       genesis.definition.json record the definition (ops/provenance.py)
    <data-dir>/nodes/<name>/node.json  the node's config; node.log its output; pid its process id; data/ its state
    <data-dir>/rest/<msp_id>/          the org's REST service: endpoint.json (its URL), rest.log, pid, users, wallet
A second `up` on the same folder restarts the nodes with their data. A folder whose crypto material or genesis block
was made for another network definition is refused before anything starts.

Every peer organisation gets a REST service (`python -m gridledger.services.rest`) as its own process. Its port
follows one rule: the org's first peer's operations port + 1000 (its gRPC port + 1000 if it has no operations
port; minus 1000 instead if that would pass 65535), or, if that port is taken, the next free one above it. The
choice is recorded in endpoint.json and reused by later `up`s. dev.yaml's Org1MSP is served on 10444.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from gridledger.common.nodeconfig import Endpoint, NodeConfig
from gridledger.ops import cryptogen, genesis, provenance
from gridledger.ops.netconfig import NetworkDefinition, Node, load_network

DEFAULT_DATA_DIR = Path(".gridledger")
HOST = "127.0.0.1"


class NetworkError(Exception):
    """A problem with a local network; the message says what to do."""


REST_PORT_OFFSET = 1000


@dataclass(frozen=True)
class RestStatus:
    """An organisation's REST service as `network status --json` lists it under "rest"."""

    msp_id: str
    url: str
    docs_url: str
    pid: int | None
    running: bool
    healthy: bool


@dataclass(frozen=True)
class NodeStatus:
    name: str
    role: str
    msp_id: str
    address: str
    pid: int | None
    running: bool
    healthy: bool
    height: int | None
    operations_url: str | None
    consensus: str | None = None  # an orderer's own account of who leads, e.g. "bft view 12, leader orderer0"


def consensus_summary(health: dict | None) -> str | None:
    """One line from an orderer's /healthz: the consensus type, its term or view, and the leader it follows."""
    if not health or "consensus" not in health:
        return None
    kind = health["consensus"]
    epoch = f" term {health['term']}" if "term" in health else f" view {health['view']}" if "view" in health else ""
    return f"{kind}{epoch}, leader {health.get('leader') or 'none'}"


class LocalNetwork:
    def __init__(self, data_dir: Path = DEFAULT_DATA_DIR) -> None:
        self.data_dir = data_dir.resolve()
        # Processes this object started: polled directly (which also reaps them), because between fork and exec a
        # child's /proc entry still shows our own command line.
        self._children: dict[str, subprocess.Popen] = {}

    # ----- layout -----

    @property
    def crypto_dir(self) -> Path:
        return self.data_dir / "crypto"

    @property
    def genesis_path(self) -> Path:
        return self.data_dir / "genesis.block"

    def node_dir(self, name: str) -> Path:
        return self.data_dir / "nodes" / name

    def rest_dir(self, msp_id: str) -> Path:
        return self.data_dir / "rest" / msp_id

    def definition(self) -> NetworkDefinition:
        marker = self.data_dir / "network.json"
        if not marker.exists():
            raise NetworkError(f"no network in {self.data_dir}; start one with "
                               f"`gridledger network up --local --network FILE --data-dir {self.data_dir}`")
        return load_network(Path(json.loads(marker.read_text())["network_file"]))

    # ----- preparing -----

    def prepare(self, network_file: Path) -> NetworkDefinition:
        """Crypto material, genesis block and node configs (only what is missing), in a folder that holds nothing of
        another network (claim)."""
        network = load_network(network_file)
        claim(self.data_dir, network, network_file, self.genesis_path, HOST)
        cryptogen.generate(network, self.crypto_dir, source=network_file)
        if not self.genesis_path.exists():
            genesis.write_genesis(network, self.crypto_dir, self.genesis_path, HOST, source=network_file)
        for config in self.node_configs(network):
            config.save(self.node_dir(config.name) / "node.json")
        return network

    def node_configs(self, network: NetworkDefinition) -> list[NodeConfig]:
        orderers, peers = endpoints(network, lambda node: HOST)
        return [NodeConfig(name=node.name, msp_id=msp_id, role=role, crypto_dir=self.crypto_dir,
                           genesis_block=self.genesis_path, data_dir=self.node_dir(node.name) / "data",
                           listen_host=HOST, port=node.port, operations_port=node.operations_port,
                           orderers=orderers, peers=peers, trusted_orgs=network.msp_ids)
                for msp_id, role, node in network.all_nodes()]

    # ----- processes -----

    def _pid(self, name: str) -> int | None:
        return self._running(name, self.node_dir(name) / "pid", f"/nodes/{name}/node.json")

    def _running(self, key: str, pid_file: Path, marker: str) -> int | None:
        child = self._children.get(key)
        if child is not None:
            return child.pid if child.poll() is None else None
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid if _is_ours(pid, marker) else None

    def start_node(self, name: str, role: str) -> int:
        running = self._pid(name)
        if running is not None:
            return running
        folder = self.node_dir(name)
        with open(folder / "node.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", f"gridledger.{role}", "--config", str(folder / "node.json")],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        (folder / "pid").write_text(str(process.pid))
        self._children[name] = process
        return process.pid

    def check_ports_free(self, network: NetworkDefinition) -> None:
        """Refuse to start nodes whose ports another process holds: another network's node there would answer
        this network's health checks, and every later error would be a puzzling TLS failure."""
        for _, _, node in network.all_nodes():
            if self._pid(node.name) is not None:
                continue  # already running: its ports are its own
            for port in (node.port, node.operations_port):
                if port and not _port_free(port):
                    raise NetworkError(f"port {port} of {node.name} is in use, probably by another network: stop "
                                       "it (`gridledger network down --data-dir FOLDER`) or use a network "
                                       "definition with other ports")

    def up(self, network_file: Path, timeout: float = 60.0, rest: bool = True) -> list[NodeStatus]:
        """Start every node (and, with `rest`, every peer org's REST service); wait until all are healthy."""
        network = self.prepare(network_file)
        self.check_ports_free(network)
        for _, role, node in network.all_nodes():
            self.start_node(node.name, role)
        if rest:
            for msp_id in network.peer_msp_ids:
                self.start_rest(network, msp_id)
        statuses = self.wait_healthy(network, timeout)
        if rest:
            self.wait_rest_healthy(network, timeout)
        return statuses

    def wait_healthy(self, network: NetworkDefinition, timeout: float) -> list[NodeStatus]:
        def failure(nodes: list[NodeStatus], problem: str) -> str:
            names = ", ".join(s.name for s in nodes)
            return f"node(s) {names} {problem}; see `gridledger network logs {nodes[0].name}`"

        return _wait_until_healthy(lambda: self.status(network), timeout, failure)

    # ----- REST services (one per peer organisation) -----

    def _rest_pid(self, msp_id: str) -> int | None:
        return self._running(f"rest:{msp_id}", self.rest_dir(msp_id) / "pid", f"/rest/{msp_id}/rest.json")

    def rest_port(self, network: NetworkDefinition, msp_id: str) -> int:
        """The org's REST port: recorded in endpoint.json, else chosen by the rule in this module's docstring."""
        endpoint = self.rest_dir(msp_id) / "endpoint.json"
        if endpoint.exists():
            return int(json.loads(endpoint.read_text())["port"])
        taken = {p for _, _, n in network.all_nodes() for p in (n.port, n.operations_port) if p}
        for other in network.peer_msp_ids:
            recorded = self.rest_dir(other) / "endpoint.json"
            if recorded.exists():
                taken.add(int(json.loads(recorded.read_text())["port"]))
        preferred = preferred_rest_port(network, msp_id)
        port = next((p for p in range(preferred, min(preferred + 200, 65536)) if p not in taken and _port_free(p)),
                    None)
        if port is None:
            raise NetworkError(f"no free port for the {msp_id} REST service in {preferred}..{preferred + 199}")
        endpoint.parent.mkdir(parents=True, exist_ok=True)
        endpoint.write_text(json.dumps({"msp_id": msp_id, "host": HOST, "port": port,
                                        "url": f"http://{HOST}:{port}"}))
        return port

    def start_rest(self, network: NetworkDefinition, msp_id: str) -> int:
        running = self._rest_pid(msp_id)
        if running is not None:
            return running
        folder = self.rest_dir(msp_id)
        port = self.rest_port(network, msp_id)
        # rest.json names the process (its pid is checked against it, as node.json does for nodes)
        marker = folder / "rest.json"
        marker.write_text(json.dumps({"msp_id": msp_id, "port": port}))
        network_file = json.loads((self.data_dir / "network.json").read_text())["network_file"]
        command = [sys.executable, "-m", "gridledger.services.rest", "--org", msp_id, "--port", str(port),
                   "--host", HOST, "--data-dir", str(self.data_dir), "--network", network_file,
                   "--log-level", "INFO", "--marker", str(marker)]
        with open(folder / "rest.log", "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        (folder / "pid").write_text(str(process.pid))
        self._children[f"rest:{msp_id}"] = process
        return process.pid

    def rest_status(self, network: NetworkDefinition | None = None) -> list[RestStatus]:
        network = network or self.definition()
        result = []
        for msp_id in network.peer_msp_ids:
            endpoint = self.rest_dir(msp_id) / "endpoint.json"
            if not endpoint.exists():
                continue
            url = json.loads(endpoint.read_text())["url"]
            pid = self._rest_pid(msp_id)
            healthy = pid is not None and _health(url) is not None
            result.append(RestStatus(msp_id, url, f"{url}/docs", pid, pid is not None, healthy))
        return result

    def wait_rest_healthy(self, network: NetworkDefinition, timeout: float) -> list[RestStatus]:
        def failure(services: list[RestStatus], problem: str) -> str:
            first = services[0].msp_id
            return f"the REST service of {first} {problem}; see {self.rest_dir(first) / 'rest.log'}"

        return _wait_until_healthy(lambda: self.rest_status(network), timeout, failure)

    def stop_rest(self, msp_id: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        self._stop(self._rest_pid(msp_id), lambda: self._rest_pid(msp_id), sig, timeout)

    def status(self, network: NetworkDefinition | None = None) -> list[NodeStatus]:
        network = network or self.definition()
        result = []
        for msp_id, role, node in network.all_nodes():
            pid = self._pid(node.name)
            url = f"http://{HOST}:{node.operations_port}" if node.operations_port else None
            health = _health(url) if pid is not None and url else None
            result.append(NodeStatus(node.name, role, msp_id, f"{HOST}:{node.port}", pid, pid is not None,
                                     health is not None, health.get("height") if health else None, url,
                                     consensus_summary(health)))
        return result

    def stop_node(self, name: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        self._stop(self._pid(name), lambda: self._pid(name), sig, timeout)

    @staticmethod
    def _stop(pid: int | None, current, sig: int, timeout: float) -> None:
        if pid is None:
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if current() is None:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def down(self, purge: bool = False) -> None:
        if (self.data_dir / "network.json").exists():
            network = self.definition()
            for msp_id in network.peer_msp_ids:
                self.stop_rest(msp_id)
            for _, _, node in network.all_nodes():
                self.stop_node(node.name)
        if purge and self.data_dir.exists():
            shutil.rmtree(self.data_dir)

    def log_path(self, name: str) -> Path:
        path = self.node_dir(name) / "node.log"
        if not path.exists():
            raise NetworkError(f"no log for node {name!r} in {self.data_dir}")
        return path


def claim(data_dir: Path, network: NetworkDefinition, network_file: Path, genesis_path: Path, host: str,
          error: type[NetworkError] = NetworkError, up: str = "gridledger network up") -> None:
    """Record in <data_dir>/network.json that the folder belongs to `network_file`, refusing (with `error`, saying
    what to do; `up` is the command that starts a network) a folder that holds another network, or crypto material
    or a genesis block made for another network definition (ops/provenance.py). Nothing is written unless the
    folder passes."""
    marker = data_dir / "network.json"
    wanted = str(network_file.resolve())
    if marker.exists():
        recorded = json.loads(marker.read_text()).get("network_file")
        if recorded != wanted:
            raise error(f"{data_dir} holds network {recorded}; {_fresh_folder(data_dir)}")
    try:
        genesis.check_material(network, data_dir / "crypto", genesis_path, host, network_file)
    except provenance.ForeignMaterial as exc:
        made_for = exc.recorded.file if exc.recorded and Path(exc.recorded.file).is_file() else None
        run_that = f"; or start the network it was made for: `{up} --network {made_for} --data-dir {data_dir}`" \
            if made_for else ""
        raise error(f"{exc}.\nNothing was started; {_fresh_folder(data_dir)}{run_that}") from None
    data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"network_file": wanted}))


def _fresh_folder(data_dir: Path) -> str:
    """What to do about a data folder that belongs to another network."""
    if (data_dir / "containers" / "project.json").exists():
        remove = (f"remove its containers and volumes (`gridledger network down --docker --purge --data-dir "
                  f"{data_dir}`), then the folder (`rm -r {data_dir}`)")
    else:
        remove = f"delete it: `gridledger network down --purge --data-dir {data_dir}`"
    return f"use another --data-dir, or {remove}"


def endpoints(network: NetworkDefinition, host: Callable[[Node], str]) -> tuple[list[Endpoint], list[Endpoint]]:
    """(orderers, peers) as node configs list them, each with its own org, reached at `host(node)`:port."""
    orderers = [Endpoint(name=n.name, msp_id=msp_id, address=f"{host(n)}:{n.port}", role="orderer")
                for msp_id, n in network.orderer_nodes()]
    peers = [Endpoint(name=n.name, msp_id=org.msp_id, address=f"{host(n)}:{n.port}")
             for org in network.peer_orgs for n in org.peers]
    return orderers, peers


Status = TypeVar("Status", NodeStatus, RestStatus)


def _wait_until_healthy(poll: Callable[[], list[Status]], timeout: float,
                        failure: Callable[[list[Status], str], str]) -> list[Status]:
    """Poll until every process is healthy. A NetworkError, worded by `failure(the processes, what went wrong)`, as
    soon as one is gone, or once `timeout` has passed."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = poll()
        dead = [s for s in statuses if not s.running]
        if dead:
            raise NetworkError(failure(dead, "exited"))
        if all(s.healthy for s in statuses):
            return statuses
        if time.monotonic() > deadline:
            raise NetworkError(failure([s for s in statuses if not s.healthy],
                                       f"did not become healthy within {timeout:.0f}s"))
        time.sleep(0.2)


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _is_ours(pid: int, marker: str) -> bool:
    """Guards against a recycled pid: the process must have been started with an argument ending in `marker` (the
    node's config file, or the REST service's marker file)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return any(arg.endswith(marker.encode()) for arg in cmdline)


def preferred_rest_port(network: NetworkDefinition, msp_id: str) -> int:
    """The org's first peer's operations port + 1000 (gRPC port + 1000 without one; minus 1000 past 65535)."""
    first = next(o for o in network.peer_orgs if o.msp_id == msp_id).peers[0]
    base = first.operations_port or first.port
    return base + REST_PORT_OFFSET if base + REST_PORT_OFFSET <= 65535 else base - REST_PORT_OFFSET


def _port_free(port: int) -> bool:
    """Whether a server could listen on `port` now. With SO_REUSEADDR, as the servers themselves bind (asyncio's
    default), so a port whose last connection lingers in TIME_WAIT after a quick restart still counts as free."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True
