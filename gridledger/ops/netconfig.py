"""Network definitions (deploy/networks/*.yaml): the schema, its checks, and errors that name file, field and fix.

One file drives the local process runner, the crypto generator, the genesis block and the compose rendering.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridledger.common.channel import POLICY_ROLES
from gridledger.common.policy import PolicyError, parse_policy

NAME = r"^[a-z][a-z0-9-]{0,30}$"
MSP_ID = r"^[A-Za-z][A-Za-z0-9_-]{0,40}$"
Port = Annotated[int, Field(ge=1024, le=65535)]


class NetworkConfigError(ValueError):
    """A network definition that cannot be used; the message names the file, the field and what is allowed."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Node(_Strict):
    name: str = Field(pattern=NAME, description="unique node name, also its host name in containers")
    port: Port = Field(description="gRPC port (mutual TLS)")
    operations_port: Port | None = Field(default=None, description="HTTP /healthz and /metrics")


class PeerOrg(_Strict):
    msp_id: str = Field(pattern=MSP_ID)
    peers: list[Node] = Field(min_length=1)
    clients: list[str] = Field(default_factory=lambda: ["user1"])


class OrdererOrg(_Strict):
    msp_id: str = Field(pattern=MSP_ID)
    orderers: list[Node] = Field(min_length=1)


class RaftParams(_Strict):
    tick_interval_ms: int = Field(default=100, ge=10, le=10_000)
    election_tick: int = Field(default=10, ge=2, le=1000)
    heartbeat_tick: int = Field(default=1, ge=1, le=100)
    snapshot_interval_blocks: int = Field(default=100, ge=1)


class BftParams(_Strict):
    request_timeout_ms: int = Field(default=500, ge=10, le=600_000,
                                    description="a request not ordered this long is forwarded to the leader")
    view_change_timeout_ms: int = Field(default=1000, ge=10, le=600_000,
                                        description="base view timeout, doubled per consecutive failed view")
    leader_rotation: bool = Field(default=True, description="rotate the leader even without faults")
    rotation_blocks: int = Field(default=1, ge=1, le=100_000, description="blocks per leader when rotating")


class Consensus(_Strict):
    type: Literal["solo", "raft", "bft"]
    raft: RaftParams = RaftParams()
    bft: BftParams = BftParams()


class Batch(_Strict):
    max_message_count: int = Field(default=500, ge=1, le=100_000)
    preferred_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    absolute_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    batch_timeout_ms: int = Field(default=200, ge=1, le=60_000)

    @model_validator(mode="after")
    def _sizes(self) -> Batch:
        if self.preferred_max_bytes > self.absolute_max_bytes:
            raise ValueError("preferred_max_bytes must not exceed absolute_max_bytes")
        return self


class Policies(_Strict):
    endorsement: str = Field(default="MAJORITY", description="default chaincode endorsement policy")
    lifecycle_endorsement: str = Field(default="MAJORITY", description="orgs that must approve a chaincode")
    writers: str = "ANY"
    readers: str = "ANY"
    admins: str = "MAJORITY"


class ChaincodeSpec(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,30}$")
    path: str = Field(description="package folder, relative to the repository or absolute")
    version: str = "1.0"
    endorsement_policy: str | None = None


class NetworkDefinition(_Strict):
    """A whole network. The ordering service is `orderer_org` (one organisation) or `orderer_orgs` (several, as BFT
    orderers of different operators are); exactly one of the two is given. Callers read it through
    `all_orderer_orgs`, `orderer_msp_ids` and `orderer_nodes()`, which do not care which form was used."""

    name: str = Field(pattern=NAME)
    channel: str = Field(default="energy", pattern=NAME)
    orderer_org: OrdererOrg | None = Field(default=None, description="the orderer organisation (or orderer_orgs)")
    orderer_orgs: list[OrdererOrg] | None = Field(default=None, min_length=1,
                                                  description="several orderer organisations (or orderer_org)")
    peer_orgs: list[PeerOrg] = Field(min_length=1)
    consensus: Consensus
    batch: Batch = Batch()
    policies: Policies = Policies()
    chaincodes: list[ChaincodeSpec] = Field(default_factory=list)

    @property
    def all_orderer_orgs(self) -> list[OrdererOrg]:
        """Every orderer organisation, in definition order, whichever of `orderer_org`/`orderer_orgs` was given."""
        return list(self.orderer_orgs) if self.orderer_orgs else [self.orderer_org] if self.orderer_org else []

    @property
    def orderer_msp_ids(self) -> list[str]:
        return [org.msp_id for org in self.all_orderer_orgs]

    @property
    def peer_msp_ids(self) -> list[str]:
        return [org.msp_id for org in self.peer_orgs]

    @property
    def msp_ids(self) -> list[str]:
        """Every organisation, orderer orgs first: the orgs whose TLS CAs nodes and clients trust."""
        return [*self.orderer_msp_ids, *self.peer_msp_ids]

    def orderer_nodes(self) -> list[tuple[str, Node]]:
        """(msp_id, node) for every orderer, each with its own organisation."""
        return [(org.msp_id, node) for org in self.all_orderer_orgs for node in org.orderers]

    def all_nodes(self) -> list[tuple[str, str, Node]]:
        """(msp_id, role, node) for every orderer and peer."""
        nodes = [(msp_id, "orderer", node) for msp_id, node in self.orderer_nodes()]
        nodes += [(org.msp_id, "peer", n) for org in self.peer_orgs for n in org.peers]
        return nodes

    @model_validator(mode="after")
    def _consistent(self) -> NetworkDefinition:
        if (self.orderer_org is None) == (self.orderer_orgs is None):
            given = "both" if self.orderer_org is not None else "neither"
            raise ValueError(f"give exactly one of orderer_org (one orderer organisation) and orderer_orgs (a list "
                             f"of them), found {given}")
        _unique("organisation msp_id", self.msp_ids)
        nodes = self.all_nodes()
        _unique("node name", [n.name for _, _, n in nodes])
        _unique("port", [p for _, _, n in nodes for p in (n.port, n.operations_port) if p is not None])
        count = len(self.orderer_nodes())
        kind = self.consensus.type
        if kind == "solo" and count != 1:
            raise ValueError(f"consensus 'solo' needs exactly 1 orderer, found {count}")
        if kind == "raft" and count not in (3, 5):
            raise ValueError(f"consensus 'raft' needs 3 or 5 orderers, found {count}")
        if kind == "bft" and (count < 4 or (count - 1) % 3 != 0):
            raise ValueError(f"consensus 'bft' needs 3f+1 orderers (4, 7, 10, ...), found {count}")
        _unique("chaincode name", [c.name for c in self.chaincodes])
        for field, role in POLICY_ROLES.items():
            _check_policy(f"policies.{field}", getattr(self.policies, field), self.peer_msp_ids, role)
        for i, cc in enumerate(self.chaincodes):
            if cc.endorsement_policy is not None:
                _check_policy(f"chaincodes.{i}.endorsement_policy", cc.endorsement_policy, self.peer_msp_ids, "peer")
        return self


def _unique(what: str, values: list) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} is used twice; each must be unique")
        seen.add(value)


def _check_policy(field: str, expression: str, orgs: list[str], role: str) -> None:
    try:
        parse_policy(expression, orgs, default_role=role)
    except PolicyError as exc:
        raise ValueError(f"{field}: {exc}") from None


def _describe(error: dict) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error":
        message = f"{error['input']!r} is not allowed; {message.lower()}"
    elif error["type"] == "extra_forbidden":
        message = "unknown field; remove it or check its spelling"
    elif error["type"] == "string_pattern_mismatch":
        message = f"{error['input']!r} does not match {error['ctx']['pattern']}"
    return f"{location}: {message}"


def parse_network(data: object, source: str = "<network>") -> NetworkDefinition:
    if not isinstance(data, dict):
        raise NetworkConfigError(f"{source}: expected a mapping at the top level, found {type(data).__name__}")
    try:
        return NetworkDefinition.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_describe(e)}" for e in exc.errors()]
        raise NetworkConfigError("\n".join(lines)) from None


def load_network(path: Path) -> NetworkDefinition:
    """Read and check a network definition file."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise NetworkConfigError(f"{path}: cannot read the network definition: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise NetworkConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_network(data, str(path))
