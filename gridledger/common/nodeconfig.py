"""The runtime configuration of one node process (peer or orderer), written by the network runner.

The network definition describes the whole network; a node config says what one process needs to start: who it
is, where its material and data live, where it listens and whom it talks to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gridledger.common.grpcutil import MAX_MESSAGE_BYTES, ServerLimits
from gridledger.common.material import MemberMaterial, load_member

MAX_CLOCK_OFFSET_S = 366 * 24 * 3600.0
# Calls one caller may have in flight at a gateway: a bound on what one identity queues at a peer (a few KB each),
# above the backlog a saturating benchmark worker keeps (lab/bench uses it as its own per-worker cap).
GATEWAY_MAX_IN_FLIGHT = 4096


class Endpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    msp_id: str
    address: str  # host:port
    role: Literal["peer", "orderer"] = "peer"


class Limits(BaseModel):
    """What one caller may hold of a node (docs/reliability.md, "Resource limits" says what a client sees at each)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_message_bytes: int = Field(default=MAX_MESSAGE_BYTES, ge=64 * 1024, le=MAX_MESSAGE_BYTES,
                                   description="largest request message the gRPC server reads")
    max_concurrent_streams: int = Field(default=1000, ge=1, le=1_000_000,
                                        description="calls one client connection may have open at once")
    max_concurrent_rpcs: int = Field(default=20_000, ge=1, le=1_000_000,
                                     description="calls the whole gRPC server runs at once")
    gateway_max_in_flight: int = Field(default=GATEWAY_MAX_IN_FLIGHT, ge=1, le=1_000_000,
                                       description="Evaluate, Endorse and Submit calls one client identity may have "
                                       "in flight at a peer's gateway (per TLS identity and creator)")

    def server(self) -> ServerLimits:
        return ServerLimits(self.max_message_bytes, self.max_concurrent_streams, self.max_concurrent_rpcs)


class NodeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    msp_id: str
    role: Literal["peer", "orderer"]
    crypto_dir: Path
    genesis_block: Path
    data_dir: Path
    listen_host: str = "127.0.0.1"
    port: int = Field(ge=0, le=65535)
    operations_port: int | None = Field(default=None, ge=0, le=65535)
    orderers: list[Endpoint] = Field(default_factory=list)
    peers: list[Endpoint] = Field(default_factory=list)
    trusted_orgs: list[str] = Field(description="MSP ids whose TLS CAs this node trusts")
    chaincode_timeout_s: float = Field(default=5.0, gt=0)
    limits: Limits = Limits()
    fault_injection: bool = Field(default=False, description="serve /faults/links and route node-to-node traffic "
                                  "through the link-fault layer (common/linkfaults.py); for chaos runs only")
    clock_offset_s: float = Field(default=0.0, ge=-MAX_CLOCK_OFFSET_S, le=MAX_CLOCK_OFFSET_S,
                                  description="skew of this node's wall clock (common/clock.py); needs "
                                  "fault_injection")

    @model_validator(mode="after")
    def _skew_needs_fault_injection(self) -> NodeConfig:
        if self.clock_offset_s and not self.fault_injection:
            raise ValueError("clock_offset_s skews the node's clock, which only a chaos run may ask for: set "
                             "fault_injection: true as well, or remove clock_offset_s")
        return self

    @classmethod
    def load(cls, path: Path) -> NodeConfig:
        return cls.model_validate_json(path.read_text())

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2))

    def material(self) -> MemberMaterial:
        return load_member(self.crypto_dir, self.msp_id, self.name, self.trusted_orgs)
