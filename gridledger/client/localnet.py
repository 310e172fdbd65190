"""Running a network as local OS processes on 127.0.0.1, every node in its own process with its data under one
folder (`--data-dir`, default ./.gridledger):

    <data-dir>/network.json            which network definition the folder belongs to
    <data-dir>/crypto/ , genesis.block  material made on first `up`
    <data-dir>/nodes/<name>/node.json  the node's config; node.log its output; pid its process id; data/ its state
A second `up` on the same folder restarts the nodes with their data.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import channel, cryptogen
from gridledger.common.netconfig import NetworkDefinition, load_network
from gridledger.common.nodeconfig import Endpoint, NodeConfig

DEFAULT_DATA_DIR = Path(".gridledger")
HOST = "127.0.0.1"


class NetworkError(Exception):
    """A problem with a local network; the message says what to do."""


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

    def definition(self) -> NetworkDefinition:
        marker = self.data_dir / "network.json"
        if not marker.exists():
            raise NetworkError(f"no network in {self.data_dir}; start one with "
                               f"`gridledger network up --local --network FILE --data-dir {self.data_dir}`")
        return load_network(Path(json.loads(marker.read_text())["network_file"]))

    # ----- preparing -----

    def prepare(self, network_file: Path) -> NetworkDefinition:
        """Crypto material, genesis block and node configs (only what is missing)."""
        network = load_network(network_file)
        marker = self.data_dir / "network.json"
        if marker.exists():
            recorded = json.loads(marker.read_text())["network_file"]
            if Path(recorded) != network_file.resolve():
                raise NetworkError(f"{self.data_dir} holds network {recorded}; use another --data-dir or "
                                   "`gridledger network down --purge` first")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps({"network_file": str(network_file.resolve())}))
        cryptogen.generate(network, self.crypto_dir)
        if not self.genesis_path.exists():
            config = channel.build_channel_config(network, self.crypto_dir, host=HOST)
            admin = channel.load_admin(self.crypto_dir, network.orderer_org.msp_id)
            self.genesis_path.write_bytes(channel.genesis_block(config, admin).SerializeToString())
        for config in self.node_configs(network):
            config.save(self.node_dir(config.name) / "node.json")
        return network

    def node_configs(self, network: NetworkDefinition) -> list[NodeConfig]:
        orgs = [network.orderer_org.msp_id, *network.peer_msp_ids]
        orderers = [Endpoint(name=n.name, msp_id=network.orderer_org.msp_id, address=f"{HOST}:{n.port}",
                             role="orderer") for n in network.orderer_org.orderers]
        peers = [Endpoint(name=n.name, msp_id=org.msp_id, address=f"{HOST}:{n.port}")
                 for org in network.peer_orgs for n in org.peers]
        return [NodeConfig(name=node.name, msp_id=msp_id, role=role, crypto_dir=self.crypto_dir,
                           genesis_block=self.genesis_path, data_dir=self.node_dir(node.name) / "data",
                           listen_host=HOST, port=node.port, operations_port=node.operations_port,
                           orderers=orderers, peers=peers, trusted_orgs=orgs)
                for msp_id, role, node in network.all_nodes()]

    # ----- processes -----

    def _pid(self, name: str) -> int | None:
        child = self._children.get(name)
        if child is not None:
            return child.pid if child.poll() is None else None
        pid_file = self.node_dir(name) / "pid"
        if not pid_file.exists():
            return None
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid if _is_our_node(pid, name) else None

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

    def up(self, network_file: Path, timeout: float = 60.0) -> list[NodeStatus]:
        network = self.prepare(network_file)
        for _, role, node in network.all_nodes():
            self.start_node(node.name, role)
        return self.wait_healthy(network, timeout)

    def wait_healthy(self, network: NetworkDefinition, timeout: float) -> list[NodeStatus]:
        deadline = time.monotonic() + timeout
        while True:
            statuses = self.status(network)
            dead = [s.name for s in statuses if not s.running]
            if dead:
                raise NetworkError(f"node(s) {', '.join(dead)} exited; see `gridledger network logs {dead[0]}`")
            if all(s.healthy for s in statuses):
                return statuses
            if time.monotonic() > deadline:
                waiting = [s.name for s in statuses if not s.healthy]
                raise NetworkError(f"node(s) {', '.join(waiting)} not healthy after {timeout:.0f}s; see "
                                   f"`gridledger network logs {waiting[0]}`")
            time.sleep(0.2)

    def status(self, network: NetworkDefinition | None = None) -> list[NodeStatus]:
        network = network or self.definition()
        result = []
        for msp_id, role, node in network.all_nodes():
            pid = self._pid(node.name)
            url = f"http://{HOST}:{node.operations_port}" if node.operations_port else None
            health = _health(url) if pid is not None and url else None
            result.append(NodeStatus(node.name, role, msp_id, f"{HOST}:{node.port}", pid, pid is not None,
                                     health is not None, health.get("height") if health else None, url))
        return result

    def stop_node(self, name: str, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        pid = self._pid(name)
        if pid is None:
            return
        os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._pid(name) is None:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def down(self, purge: bool = False) -> None:
        if (self.data_dir / "network.json").exists():
            for _, _, node in self.definition().all_nodes():
                self.stop_node(node.name)
        if purge and self.data_dir.exists():
            shutil.rmtree(self.data_dir)

    def log_path(self, name: str) -> Path:
        path = self.node_dir(name) / "node.log"
        if not path.exists():
            raise NetworkError(f"no log for node {name!r} in {self.data_dir}")
        return path


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _is_our_node(pid: int, name: str) -> bool:
    """Guards against a recycled pid: the process must be a gridledger node started for this node's config."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc (macOS): trust the pid file
    return any(arg.endswith(f"/nodes/{name}/node.json".encode()) for arg in cmdline)
