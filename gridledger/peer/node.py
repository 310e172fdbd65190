"""A peer process: opens its ledger, joins its channel from the genesis block, serves endorsement, gateway,
deliver and admin over mutual TLS, and keeps its ledger up to date from the orderers.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gridledger.common import clock, eventloop, linkfaults, logs
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.grpcservice import add_service
from gridledger.common.grpcutil import aio_server
from gridledger.common.nodeconfig import NodeConfig
from gridledger.common.operations import OperationsServer
from gridledger.peer.broadcast import FailoverBroadcaster, broadcaster_for, raft_leader
from gridledger.peer.committer import CommitNotifier, Committer
from gridledger.peer.deliver import PeerDeliverService
from gridledger.peer.endorser import Endorser
from gridledger.peer.gateway import GatewayCore, GatewayService, RemoteEndorser
from gridledger.peer.ledger import Ledger
from gridledger.peer.metrics import PeerMetrics
from gridledger.peer.puller import BlockPuller
from gridledger.peer.runtime import ChaincodeRuntime
from gridledger.peer.services import AdminService, EndorserService
from gridledger.v1 import block_pb2, peer_pb2

log = logging.getLogger("gridledger.peer")


def open_ledger(config: NodeConfig) -> Ledger:
    """The peer's ledger, with the genesis block committed on first start (which joins the channel)."""
    ledger = Ledger(config.data_dir / "ledger")
    if ledger.height == 0:
        genesis = block_pb2.Block.FromString(config.genesis_block.read_bytes())
        config_from_block(genesis)
        genesis.metadata.validation_codes.append(block_pb2.VALID)
        ledger.commit(genesis)
    return ledger


class PeerNode:
    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        material = config.material()
        self.identity = material.identity
        self.tls = material.tls
        self.ledger = open_ledger(config)
        self.context = ChannelContext.from_config(config_from_block(self.ledger.get_block(0)))
        self.notifier = CommitNotifier()
        self.notifier.height = self.ledger.height
        self.metrics = PeerMetrics(lambda: self.ledger.height, process=True)
        self.committer = Committer(self.context, self.ledger, self.metrics)
        self.runtime = ChaincodeRuntime(self.context, self.ledger, config.data_dir / "chaincodes",
                                        timeout_s=config.chaincode_timeout_s)
        self.endorser = Endorser(self.context, self.ledger, self.identity, self.runtime, self.metrics)
        self._commit_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="commit")
        # Every endorsement of this peer runs here, the gateway's own and other gateways' (docs/performance.md,
        # "Where a gateway's own endorsement waits"): more threads only queue for the chaincode workers.
        self._endorse_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="endorse")
        self.commit_failure: BaseException | None = None
        self._follow_leader: Callable[[str], None] | None = None  # raft: the gateway sends to the newest leader

    async def commit_block(self, block: block_pb2.Block) -> None:
        loop = asyncio.get_running_loop()
        outcomes = await loop.run_in_executor(self._commit_executor, self.committer.commit, block)
        self.notifier.block_committed(self.ledger.height, outcomes)
        if self._follow_leader is not None:
            leader = raft_leader(block)
            if leader:
                self._follow_leader(leader)

    async def run(self) -> None:
        config = self.config
        clock.set_offset(config.clock_offset_s)
        link_faults = linkfaults.enable(config.data_dir / linkfaults.TABLE_FILE) if config.fault_injection else None
        remotes: dict[str, list[RemoteEndorser]] = {}
        for endpoint in config.peers:
            if endpoint.msp_id != config.msp_id:
                remotes.setdefault(endpoint.msp_id, []).append(RemoteEndorser(endpoint, self.tls))
        consensus = self.context.config.consensus
        orderers = broadcaster_for(consensus.type, len(consensus.consenters), config.orderers, self.tls)
        if isinstance(orderers, FailoverBroadcaster) and consensus.type == "raft":
            self._follow_leader = orderers.prefer
        gateway = GatewayCore(config.msp_id, self.endorser, remotes, orderers, self.notifier, self.ledger, self.metrics,
                              self._endorse_executor)
        admin = AdminService(config.msp_id, self.context, self.ledger, self.runtime.store)
        server, port = aio_server(self.tls, f"{config.listen_host}:{config.port}", config.limits.server())
        services = peer_pb2.DESCRIPTOR.services_by_name
        add_service(server, EndorserService(self.endorser, self._endorse_executor), services["Endorser"])
        add_service(server, GatewayService(gateway, config.limits.gateway_max_in_flight), services["Gateway"])
        add_service(server, PeerDeliverService(self.context, self.ledger, self.notifier), services["PeerDeliver"])
        add_service(server, admin, services["Admin"])
        await server.start()
        puller = BlockPuller(self.context.channel_id, config.orderers, self.identity, self.tls, self.ledger,
                             self.commit_block, BlockVerifier(self.context).verify_signatures)
        pulling = asyncio.create_task(puller.run())
        operations = None
        if config.operations_port is not None:
            operations = OperationsServer(
                config.listen_host, config.operations_port, self.metrics.node.registry,
                lambda: {"status": "ok", "height": self.ledger.height, "orderer": puller.connected_to},
                link_faults)
            await operations.start()
        logs.log_event(log, "peer started", name=config.name, port=port, height=self.ledger.height,
                       channel=self.context.channel_id)
        stop = asyncio.Event()
        pulling.add_done_callback(lambda task: self._stop_if_commits_failed(task, stop))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        logs.log_event(log, "peer stopping", name=config.name)
        pulling.cancel()
        await server.stop(2)
        if operations is not None:
            await operations.stop()
        await orderers.close()
        for group in remotes.values():
            for remote in group:
                await remote.close()
        self.close()
        if self.commit_failure is not None:
            raise SystemExit(1)

    def _stop_if_commits_failed(self, pulling: asyncio.Task, stop: asyncio.Event) -> None:
        """Fail-stop: a block that cannot be committed (a full disk, a broken ledger) ends the puller, and then the
        peer exits 1 rather than go on serving a ledger that silently stopped growing. A restart replays or cuts
        what the failed commit left (peer/ledger), so a supervisor that restarts it heals it (docs/reliability.md)."""
        if pulling.cancelled() or pulling.exception() is None:
            return
        self.commit_failure = pulling.exception()
        logs.log_event(log, "peer stopping: a block cannot be committed", level=logging.ERROR, name=self.config.name,
                       height=self.ledger.height, error=repr(self.commit_failure))
        stop.set()

    def close(self) -> None:
        self._commit_executor.shutdown(wait=True)
        self._endorse_executor.shutdown(wait=True)
        self.runtime.close()
        self.ledger.close()


def main(config_path: Path) -> None:
    logs.configure()
    eventloop.run(PeerNode(NodeConfig.load(config_path)).run())
