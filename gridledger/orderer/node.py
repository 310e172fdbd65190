"""One orderer process: wires the channel config, the chain, the consenter, the gRPC service and the operations
endpoint together, and takes them down again in the order that loses nothing.

Start: config and crypto material -> genesis (verified) -> chain store (initialised from the genesis on first start,
else continued from its last block) -> consenter -> gRPC server -> operations endpoint.
Stop: operations endpoint -> gRPC server (in-flight broadcasts finish, deliver streams end) -> consenter (writes
what it has accepted) -> store.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import grpc

from gridledger.common import clock, grpcutil, linkfaults
from gridledger.common.channel import ChannelContext, ConfigError, config_from_block
from gridledger.common.logs import log_event
from gridledger.common.metrics import NodeRegistry
from gridledger.common.nodeconfig import NodeConfig
from gridledger.common.operations import OperationsServer
from gridledger.orderer.blockstore import BlockStore, StoreError
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.broadcast import BroadcastService
from gridledger.orderer.chain import Chain, ChainError
from gridledger.orderer.consensus import Consenter, ConsenterSupport, ReportsStatus, ServesCluster
from gridledger.orderer.consensus.registry import UnsupportedConsensus, create_consenter
from gridledger.orderer.cutter import BatchLimits
from gridledger.orderer.deliver import DeliverService
from gridledger.orderer.faults import DELIVER_MODES, FaultConfigError, fault_from_environment
from gridledger.orderer.service import atomic_broadcast_handler
from gridledger.orderer.validation import EnvelopeValidator
from gridledger.v1 import block_pb2, orderer_pb2

logger = logging.getLogger("gridledger.orderer")

GRPC_STOP_GRACE_S = 1.0


class StartupError(Exception):
    """The orderer cannot start; the message says what is wrong and how to fix it."""


def chain_dir(config: NodeConfig, channel_id: str) -> Path:
    return config.data_dir / "chains" / channel_id


def _read_genesis(path: Path) -> tuple[bytes, ChannelContext]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StartupError(f"cannot read the genesis block {path}: {exc.strerror}") from None
    try:
        block = block_pb2.Block.FromString(raw)
        config = config_from_block(block)
        context = ChannelContext.from_config(config)
    except ConfigError as exc:
        raise StartupError(f"the genesis block {path} is not valid: {exc}") from None
    except Exception as exc:  # not a Block at all, or a config whose policies do not parse
        raise StartupError(f"the genesis block {path} cannot be read: {exc}") from None
    return raw, context


class OrdererNode:
    """An orderer serving one channel."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.port = 0
        self.operations_port: int | None = None
        self.metrics = NodeRegistry(process=True)
        self._store: BlockStore | None = None
        self._chain: Chain | None = None
        self._consenter: Consenter | None = None
        self._server: grpc.aio.Server | None = None
        self._operations: OperationsServer | None = None
        self.halted = asyncio.Event()  # set when the consenter cannot go on; the process then exits 1
        self.halt_reason: str | None = None

    @property
    def height(self) -> int:
        return self._chain.height if self._chain is not None else 0

    def _consensus_status(self) -> dict[str, object]:
        """Who leads, by the consenter's own account (raft: term and leader, bft: view and leader)."""
        if isinstance(self._consenter, ReportsStatus):
            return self._consenter.consensus_status()
        return {}

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        config = self.config
        if config.role != "orderer":
            raise StartupError(f"node config {config.name!r} has role {config.role!r}; an orderer needs 'orderer'")
        try:
            material = config.material()
        except (OSError, ValueError) as exc:
            raise StartupError(f"cannot load the crypto material of {config.name}: {exc}") from None
        genesis, context = _read_genesis(config.genesis_block)
        consensus = context.config.consensus
        clock.set_offset(config.clock_offset_s)
        link_faults = linkfaults.enable(config.data_dir / linkfaults.TABLE_FILE) if config.fault_injection else None
        try:
            fault = fault_from_environment(os.environ)
        except FaultConfigError as exc:
            raise StartupError(str(exc)) from None
        if material.identity.certificate not in {c.identity.certificate for c in consensus.consenters}:
            raise StartupError(f"{config.name} ({config.msp_id}) is not a consenter of channel "
                               f"{context.channel_id!r}; its certificate is not in the genesis block's consenter set")
        try:
            limits = BatchLimits.from_config(context.config.batch)
            self._store = BlockStore(chain_dir(config, context.channel_id))
            self._chain = Chain(self._store)
            self._chain.ensure_genesis(genesis)
        except (ValueError, StoreError, ChainError) as exc:
            raise StartupError(str(exc)) from None
        writer = BlockWriter(self._chain, material.identity)
        support = ConsenterSupport(config, context, limits, material.identity, self._chain, writer, self.metrics,
                                   material.tls, self._halt)
        try:
            self._consenter = create_consenter(consensus.type, support)
        except (UnsupportedConsensus, ValueError) as exc:
            raise StartupError(str(exc)) from None
        try:
            await self._consenter.start()
        except (OSError, ValueError) as exc:  # e.g. the consensus state on disk cannot be opened or read
            raise StartupError(f"the {consensus.type} consenter cannot start: {exc}") from None

        chain = self._chain
        envelopes_total = self.metrics.counter(
            "gridledger_orderer_broadcast_envelopes", "Broadcast envelopes answered, by status", ("status",))
        for status, _ in orderer_pb2.BroadcastStatus.items():
            if status != "BROADCAST_STATUS_UNSPECIFIED":
                envelopes_total.labels(status)
        submit_seconds = self.metrics.histogram(
            "gridledger_orderer_submit_duration_seconds",
            "Time from a broadcast batch passing validation until the consenter accepted it (see docs/metrics.md)")
        self.metrics.gauge("gridledger_orderer_height", "Number of blocks in this orderer's chain",
                           function=lambda: chain.height)
        self.metrics.counter_function("gridledger_orderer_blocks_total",
                                      "Blocks written by this process since it started",
                                      lambda: writer.blocks_written)

        broadcast = BroadcastService(EnvelopeValidator(context), self._consenter, envelopes_total, submit_seconds)
        deliver = DeliverService(context, self._chain, None if fault is None or fault.mode not in DELIVER_MODES
                                 else fault.mode)
        try:
            self._server, self.port = grpcutil.aio_server(material.tls, f"{config.listen_host}:{config.port}",
                                                          config.limits.server())
        except (OSError, RuntimeError) as exc:
            raise StartupError(f"cannot listen on {config.listen_host}:{config.port}: {exc}") from None
        self._server.add_generic_rpc_handlers([atomic_broadcast_handler(broadcast, deliver)])
        if isinstance(self._consenter, ServesCluster):
            self._server.add_generic_rpc_handlers(list(self._consenter.rpc_handlers()))
        await self._server.start()

        if config.operations_port is not None:
            self._operations = OperationsServer(
                config.listen_host, config.operations_port, self.metrics.registry,
                lambda: {"status": "ok", "height": chain.height, **self._consensus_status()}, link_faults)
            try:
                self.operations_port = await self._operations.start()
            except OSError as exc:
                raise StartupError(f"cannot serve operations on {config.listen_host}:{config.operations_port}: "
                                   f"{exc.strerror}") from None
        log_event(logger, "orderer started", node=config.name, msp_id=config.msp_id, channel=context.channel_id,
                  consensus=consensus.type, host=config.listen_host, port=self.port,
                  operations_port=self.operations_port, height=self._chain.height)

    def _halt(self, reason: str) -> None:
        """Fail-stop: a consenter whose storage failed (a full disk) stops ordering for good, and an orderer that
        stayed up would answer SERVICE_UNAVAILABLE until someone noticed; exiting lets a supervisor restart it,
        and the restart recovers from what is on disk (docs/reliability.md)."""
        if self.halt_reason is None:
            self.halt_reason = reason
            log_event(logger, "orderer halting: its consenter cannot go on", level=logging.ERROR,
                      node=self.config.name, reason=reason)
            self.halted.set()

    async def stop(self) -> None:
        """Idempotent; safe after a failed start."""
        if self._operations is not None:
            await self._operations.stop()
            self._operations = None
        if self._server is not None:
            await self._server.stop(GRPC_STOP_GRACE_S)
            self._server = None
        if self._consenter is not None:
            try:
                await self._consenter.stop()
            except Exception:
                log_event(logger, "consenter did not stop cleanly", level=logging.ERROR, exc_info=True)
            self._consenter = None
        if self._store is not None:
            height = self._store.height
            self._store.close()
            self._store = None
            log_event(logger, "orderer stopped", node=self.config.name, height=height)
