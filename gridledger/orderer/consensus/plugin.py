"""The consensus plugin interface: what solo, raft and bft implement, and what they are given to work with.

A consenter takes validated envelopes (`submit`), agrees with its peers on their order, cuts them into batches with
the shared `BlockCutter` and hands each batch to the `BlockWriter` it was given, which builds, signs and stores the
block and wakes the deliver streams. Broadcast, deliver, validation and the ledger know nothing about the
consensus type, so a new one (PoW or PoS leader election, for comparison experiments) is one new module.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import grpc

from gridledger.common.channel import ChannelContext
from gridledger.common.grpcutil import TlsMaterial
from gridledger.common.logs import log_event
from gridledger.common.metrics import NodeRegistry
from gridledger.common.msp import SigningIdentity
from gridledger.common.nodeconfig import NodeConfig
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import Chain
from gridledger.orderer.cutter import BatchLimits


class ServiceUnavailable(Exception):
    """The consenter cannot accept envelopes now (stopping, no leader, no quorum); the client should retry later or
    elsewhere. Broadcast answers SERVICE_UNAVAILABLE with this message."""


class NotLeader(ServiceUnavailable):
    """This node is not the leader and cannot forward; `leader` names the current leader when it is known."""

    def __init__(self, message: str, leader: str | None = None) -> None:
        super().__init__(message)
        self.leader = leader


@runtime_checkable
class Consenter(Protocol):
    """One channel's ordering engine on this node."""

    async def start(self) -> None:
        """Begin ordering (start timers, connect to other consenters)."""
        ...

    async def stop(self) -> None:
        """Stop ordering; a clean stop writes what was already accepted where the protocol allows it."""
        ...

    async def submit(self, envelopes: list[bytes]) -> None:
        """Accept validated envelopes for ordering, in this order. Returning means they are accepted (what
        "accepted" guarantees is the plugin's to document); raises ServiceUnavailable otherwise."""
        ...


@runtime_checkable
class ServesCluster(Protocol):
    """A consenter that talks to the other consenters (raft, bft) serves the Cluster gRPC service; the node adds
    these handlers to its server, on the same port as AtomicBroadcast (the consenter's host:port in the config)."""

    def rpc_handlers(self) -> Sequence[grpc.GenericRpcHandler]:
        ...


@runtime_checkable
class ReportsStatus(Protocol):
    """A consenter with a leader to name (raft, bft): what /healthz shows next to the height, so `network status`
    can say who leads."""

    def consensus_status(self) -> dict[str, object]:
        ...


@dataclass(frozen=True)
class ConsenterSupport:
    """Everything a consenter plugin may use, passed in once so plugins never reach into the node."""

    node: NodeConfig
    context: ChannelContext
    limits: BatchLimits
    identity: SigningIdentity
    chain: Chain
    writer: BlockWriter
    metrics: NodeRegistry = field(default_factory=NodeRegistry)  # the node's registry, served on /metrics
    tls: TlsMaterial | None = None  # the node's TLS material, for connections to other consenters
    # Called once a consenter has stopped ordering for good (its storage failed): the node then exits (fail-stop).
    halt: Callable[[str], None] = field(default=lambda reason: None)


def cluster_membership(support: ConsenterSupport, kind: str) -> tuple[str, list[str], TlsMaterial]:
    """For a consenter that talks to the others (raft, bft): this orderer's consenter id, every consenter id in
    config order, and the TLS material to reach them; ValueError says what is missing."""
    consensus = support.context.config.consensus
    if support.tls is None:
        raise ValueError(f"the {kind} consenter needs the orderer's TLS material to reach the other consenters")
    members = [c.id for c in consensus.consenters]
    if not members or len(set(members)) != len(members) or not all(members):
        raise ValueError(f"the channel config must list consenters with distinct, non-empty ids, got {members}")
    mine = [c.id for c in consensus.consenters if c.identity.certificate == support.identity.certificate]
    if not mine:
        raise ValueError(f"this orderer is not among the consenters {members} of channel "
                         f"{support.context.channel_id!r}")
    return mine[0], members, support.tls


async def guarded(work: Coroutine[Any, Any, None], name: str, logger: logging.Logger, node: str,
                  on_failure: Callable[[str], None]) -> None:
    """Run one of a consenter's tasks; if it fails, log it and report why: without its loop or applier a consenter
    must stop ordering rather than go on half alive."""
    try:
        await work
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log_event(logger, f"{name} failed; this orderer stops ordering", level=logging.CRITICAL, exc_info=True,
                  node=node)
        on_failure(f"{name}: {type(exc).__name__}: {exc}")
