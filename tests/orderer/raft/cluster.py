"""A raft ordering service of real orderer processes for tests: three (or five) `python -m gridledger.orderer`
processes on loopback with free ports, shaped like deploy/networks/raft.yaml, plus a load generator that streams
envelopes while faults are injected and the checks that must hold afterwards.

Crypto material depends on node names only, so one session-wide set serves every test; each test gets its own
ports, genesis block and data folders.
"""

from __future__ import annotations

import asyncio
import json
import random
import signal
import socket
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from gridledger.common import grpcutil, hashing, material
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.material import load_admin
from gridledger.common.msp import SigningIdentity
from gridledger.common.nodeconfig import Endpoint, NodeConfig
from gridledger.ops import cryptogen
from gridledger.ops.genesis import build_channel_config, genesis_block
from gridledger.ops.netconfig import NetworkDefinition
from gridledger.v1 import block_pb2, orderer_pb2
from tests.orderer import support
from tests.orderer.support import OrdererProcess

ORGS = ["OrdererMSP", "Org1MSP"]
# Fast enough for tests that finish in seconds, slow enough not to hold elections on a busy 2-core machine.
TEST_RAFT = {"tick_interval_ms": 50, "election_tick": 10, "heartbeat_tick": 1, "snapshot_interval_blocks": 8}
TEST_BATCH = {"max_message_count": 10, "preferred_max_bytes": 64 * 1024, "absolute_max_bytes": 256 * 1024,
              "batch_timeout_ms": 50}


def free_ports(count: int) -> list[int]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
    ports = [s.getsockname()[1] for s in sockets]
    for sock in sockets:
        sock.close()
    return ports


def network_definition(orderers: int = 3, ports: list[int] | None = None, raft: dict | None = None,
                       batch: dict | None = None) -> NetworkDefinition:
    ports = ports or free_ports(orderers + 1)
    return NetworkDefinition.model_validate({
        "name": "rafttest",
        "channel": support.CHANNEL,
        "orderer_org": {"msp_id": "OrdererMSP",
                        "orderers": [{"name": f"orderer{i}", "port": ports[i]} for i in range(orderers)]},
        "peer_orgs": [{"msp_id": "Org1MSP", "peers": [{"name": "peer0-org1", "port": ports[orderers]}],
                       "clients": ["user1"]}],
        "consensus": {"type": "raft", "raft": raft or TEST_RAFT},
        "batch": batch or TEST_BATCH,
    })


def make_crypto(out: Path, orderers: int = 3) -> Path:
    cryptogen.generate(network_definition(orderers), out)
    return out


@dataclass
class RaftCluster:
    """Orderer processes of one raft network; names are orderer0..orderer{n-1}."""

    folder: Path
    crypto: Path
    network: NetworkDefinition
    genesis: block_pb2.Block
    processes: dict[str, OrdererProcess] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path, crypto: Path, orderers: int = 3, raft: dict | None = None,
               batch: dict | None = None) -> RaftCluster:
        network = network_definition(orderers, raft=raft, batch=batch)
        config = build_channel_config(network, crypto)
        genesis = genesis_block(config, load_admin(crypto, "OrdererMSP"))
        folder.mkdir(parents=True, exist_ok=True)
        genesis_path = folder / "genesis.block"
        genesis_path.write_bytes(genesis.SerializeToString())
        endpoints = [Endpoint(name=o.name, msp_id="OrdererMSP", address=f"127.0.0.1:{o.port}", role="orderer")
                     for _, o in network.orderer_nodes()]
        cluster = cls(folder, crypto, network, genesis)
        for _, orderer in network.orderer_nodes():
            node_folder = folder / orderer.name
            config_path = node_folder / "node.json"
            NodeConfig(name=orderer.name, msp_id="OrdererMSP", role="orderer", crypto_dir=crypto,
                       genesis_block=genesis_path, data_dir=node_folder / "data", port=orderer.port,
                       operations_port=0, orderers=endpoints, trusted_orgs=ORGS).save(config_path)
            cluster.processes[orderer.name] = OrdererProcess(config_path, node_folder / "orderer.log")
        return cluster

    @property
    def names(self) -> list[str]:
        return list(self.processes)

    def running(self) -> list[str]:
        return [name for name, p in self.processes.items() if p.process is not None and p.process.poll() is None]

    def start(self, *names: str) -> None:
        """Start the named orderers (all by default) side by side and wait until each is serving."""
        with ThreadPoolExecutor(max_workers=len(self.processes)) as pool:
            for started in [pool.submit(self.processes[name].start) for name in names or self.names]:
                started.result()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        self.processes[name].stop(sig)

    def kill_all(self) -> None:
        for process in self.processes.values():
            process.kill()

    def metrics(self, name: str) -> dict[str, float]:
        port = self.processes[name].operations_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            lines = reply.read().decode().splitlines()
        return {k: float(v) for k, v in (line.rsplit(" ", 1) for line in lines if line and line[0] != "#")}

    def height(self, name: str) -> int:
        port = self.processes[name].operations_port
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return int(json.loads(reply.read())["height"])

    def leader(self, among: list[str] | None = None) -> str | None:
        """The running node that says it is the leader (None while there is none)."""
        for name in among or self.running():
            try:
                if self.metrics(name).get("gridledger_raft_is_leader") == 1:
                    return name
            except OSError:
                continue
        return None

    def wait_leader(self, timeout: float = 15.0, among: list[str] | None = None) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            leader = self.leader(among)
            if leader is not None:
                return leader
            time.sleep(0.05)
        raise AssertionError(f"no raft leader among {among or self.running()} within {timeout}s:\n" +
                             "\n".join(self.processes[n].log_text()[-1500:] for n in self.running()))

    def identity(self, msp_id: str = "Org1MSP", name: str = "user1") -> SigningIdentity:
        return material.load_member(self.crypto, msp_id, name, ORGS).identity

    def address(self, name: str) -> str:
        """The orderer's fixed gRPC address (the consenter address in the genesis block)."""
        return next(f"127.0.0.1:{o.port}" for _, o in self.network.orderer_nodes() if o.name == name)


class Load:
    """Streams small batches of fresh envelopes to the orderers, one worker per orderer, and remembers which were
    acknowledged (SUCCESS). Nothing is ever resent, so an envelope is in the chain at most once unless the orderers
    duplicated it. A worker whose orderer is down waits and tries again."""

    def __init__(self, cluster: RaftCluster, batch: int = 4, seed: int = 0) -> None:
        self._cluster = cluster
        self._batch = batch
        self._user = cluster.identity()
        self._tls = cluster_tls(cluster)
        self._rng = random.Random(seed)
        self.acked: list[str] = []
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sent = 0

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker(name)) for name in self._cluster.names]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def wait_acked(self, count: int, timeout: float = 20.0) -> None:
        """Until `count` more envelopes than now are acknowledged."""
        target = len(self.acked) + count
        deadline = time.monotonic() + timeout
        while len(self.acked) < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(self.acked)} of {target} envelopes acknowledged in {timeout}s; "
                                     f"statuses {dict(self.statuses)}, errors {dict(self.errors)}")
            await asyncio.sleep(0.05)

    async def _worker(self, name: str) -> None:
        while not self._stop.is_set():
            address = self._cluster.address(name)
            try:
                async with grpc.aio.secure_channel(address, self._tls) as channel:
                    await self._send_batches(channel)
            except grpc.aio.AioRpcError as exc:
                self.errors[exc.code().name] += 1
            await asyncio.sleep(0.1)

    async def _send_batches(self, channel: grpc.aio.Channel) -> None:
        while not self._stop.is_set():
            envelopes = []
            for _ in range(self._batch):
                self._sent += 1
                envelopes.append(support.make_envelope(self._user, b"load %d %s" % (
                    self._sent, self._rng.randbytes(8).hex().encode())))
            [response] = await support.broadcast(channel, [envelopes], timeout=15)
            for envelope, result in zip(envelopes, response.results, strict=True):
                status = orderer_pb2.BroadcastStatus.Name(result.status)
                self.statuses[status] += 1
                if result.status == orderer_pb2.SUCCESS:
                    self.acked.append(support.tx_id_of(envelope.SerializeToString()))
            if any(r.status != orderer_pb2.SUCCESS for r in response.results):
                await asyncio.sleep(0.05)


def cluster_tls(cluster: RaftCluster) -> grpc.ChannelCredentials:
    """Client credentials of Org1MSP's user1, a channel writer and reader."""
    return grpcutil.channel_credentials(material.load_member(cluster.crypto, "Org1MSP", "user1", ORGS).tls)


async def chain_of(cluster: RaftCluster, name: str, height: int) -> list[block_pb2.Block]:
    user = cluster.identity()
    async with grpc.aio.secure_channel(cluster.address(name), cluster_tls(cluster)) as channel:
        replies = await support.deliver(channel, support.seek_request(user, 0, height), timeout=30)
    assert replies[-1].status == "SUCCESS", replies[-1]
    return [reply.block for reply in replies[:-1]]


def wait_heights_equal(cluster: RaftCluster, names: list[str], timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    heights: dict[str, int] = {}
    while time.monotonic() < deadline:
        heights = {name: cluster.height(name) for name in names}
        if len(set(heights.values())) == 1:
            time.sleep(0.3)  # and stays so (nothing in flight)
            again = {name: cluster.height(name) for name in names}
            if again == heights:
                return next(iter(heights.values()))
        time.sleep(0.1)
    raise AssertionError(f"heights did not converge: {heights}")


def verify_cluster(cluster: RaftCluster, acked: list[str], names: list[str] | None = None) -> int:
    """Every running orderer holds the same valid chain, and every acknowledged envelope is in it exactly once.
    Returns the common height."""
    names = names or cluster.running()
    height = wait_heights_equal(cluster, names)
    chains = {name: asyncio.run(chain_of(cluster, name, height)) for name in names}
    verifier = BlockVerifier(ChannelContext.from_config(config_from_block(cluster.genesis)))
    reference = None
    for name, blocks in chains.items():
        assert len(blocks) == height, f"{name} delivered {len(blocks)} of {height} blocks"
        assert blocks[0] == cluster.genesis
        for number, block in enumerate(blocks[1:], start=1):
            verifier.verify(block, number, hashing.header_hash(blocks[number - 1].header))
        hashes = [hashing.header_hash(b.header) for b in blocks]
        if reference is None:
            reference = hashes
        for number, (mine, theirs) in enumerate(zip(hashes, reference, strict=True)):
            assert mine == theirs, f"block {number} differs between orderers ({name})"
        seen = Counter(support.tx_id_of(e) for block in blocks[1:] for e in block.data.envelopes)
        missing = [tx for tx in acked if seen[tx] != 1]
        assert not missing, f"{name}: {len(missing)} acknowledged envelopes not exactly once, e.g. " \
                            f"{[(tx[:12], seen[tx]) for tx in missing[:3]]}"
        assert all(count == 1 for count in seen.values()), f"{name}: an envelope was ordered twice"
    return height
