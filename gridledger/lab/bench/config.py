"""What a bench run consists of: rounds (from a YAML file or the command line) and the network definitions to run
them on (the given file, or one derived per value of a `--sweep PARAM=v1,v2,...`).

Rounds file (deploy/bench/*.yaml):
    rounds:
      - label: warm-up            # every field but label may be left out: the command line's value is used
        workload: kv-blind-write
        rate_control: fixed-rate:50
        duration: 10              # seconds of sending
        workers: 2
        options: {value_size: 100}
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gridledger.common.nodeconfig import GATEWAY_MAX_IN_FLIGHT
from gridledger.lab.bench.rates import parse_rate
from gridledger.lab.bench.workloads import workload_class
from gridledger.ops.netconfig import NetworkDefinition, parse_network


class BenchConfigError(ValueError):
    """A rounds file or sweep that cannot be used; the message says what is expected."""


class RoundSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    workload: str
    rate_control: str
    duration: float = Field(gt=0, le=3600)
    workers: int = Field(ge=1, le=64)
    options: dict[str, Any] = Field(default_factory=dict)
    tx_timeout: float = Field(default=60.0, gt=0, description="seconds before a transaction counts as timed out")
    max_in_flight: int = Field(default=GATEWAY_MAX_IN_FLIGHT, ge=1, description="per worker: tokens beyond it are "
                               "skipped, not queued; by default the gateway's own per-identity limit")

    @field_validator("rate_control")
    @classmethod
    def _rate(cls, value: str) -> str:
        parse_rate(value, 1.0)
        return value

    @field_validator("workload")
    @classmethod
    def _workload(cls, value: str) -> str:
        workload_class(value)
        return value


def load_rounds(path: Path | None, defaults: Mapping[str, Any]) -> list[RoundSpec]:
    """Rounds from `path`, with `defaults` (the command line's values) filling missing fields; without a file,
    the command line's single round."""
    if path is None:
        return [_round({"label": "round-1", **defaults}, "command line")]
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise BenchConfigError(f"{path}: cannot read the rounds file: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("rounds"), list) or not data["rounds"]:
        raise BenchConfigError(f"{path}: expected a mapping with a non-empty list under 'rounds'")
    rounds = []
    for i, entry in enumerate(data["rounds"]):
        if not isinstance(entry, dict):
            raise BenchConfigError(f"{path}: rounds.{i} is not a mapping")
        rounds.append(_round({**defaults, "label": f"round-{i + 1}", **entry}, f"{path}: rounds.{i}"))
    return rounds


def _round(data: dict[str, Any], where: str) -> RoundSpec:
    try:
        return RoundSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(round)'}: {e['msg']}" for e in exc.errors())
        raise BenchConfigError(f"{where}: {problems}") from None


# ----- sweeps -----

def split_values(text: str) -> list[str]:
    """Comma-separated values, commas inside parentheses kept (policies such as AND('A.peer', 'B.peer'))."""
    values, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    values.append("".join(current).strip())
    return [v for v in values if v]


def parse_sweep(text: str) -> tuple[str, list[str]]:
    name, _, values = text.partition("=")
    name = name.strip().replace("-", "_")
    if name not in SWEEPS or not values:
        raise BenchConfigError(f"--sweep {text!r}: expected PARAM=v1,v2,... with PARAM one of {', '.join(SWEEPS)}")
    return name, split_values(values)


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port free right now and not handed out before by this process (so one network's ports differ)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def _batch(field: str) -> Callable[[dict[str, Any], str], None]:
    def apply(data: dict[str, Any], value: str) -> None:
        data["batch"][field] = int(value)
    return apply


def _peers(data: dict[str, Any], value: str) -> None:
    """Every peer org gets `value` peers: the first ones kept, new ones named after the org's first peer."""
    count = int(value)
    for org in data["peer_orgs"]:
        first = org["peers"][0]["name"]
        stem = first[len("peer0"):] if first.startswith("peer0") else f"-{first}"
        org["peers"] = org["peers"][:count] + [
            {"name": f"peer{i}{stem}", "port": free_port(), "operations_port": free_port()}
            for i in range(len(org["peers"]), count)]


def _endorsement(data: dict[str, Any], value: str) -> None:
    data["policies"]["endorsement"] = value


SWEEPS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "batch_timeout_ms": _batch("batch_timeout_ms"),
    "max_message_count": _batch("max_message_count"),
    "peers": _peers,
    "endorsement": _endorsement,
}


def with_free_ports(data: dict[str, Any]) -> None:
    """Move every node to free loopback ports (tests, and running beside another network on the same ports)."""
    orderers = [n for org in data.get("orderer_orgs") or [data["orderer_org"]] for n in org["orderers"]]
    for node in [*orderers, *(p for org in data["peer_orgs"] for p in org["peers"])]:
        node["port"] = free_port()
        if node.get("operations_port"):
            node["operations_port"] = free_port()


def derive(network: NetworkDefinition, *, sweep: tuple[str, str] | None = None,
           free_ports: bool = False) -> NetworkDefinition:
    """A checked copy of `network` with one swept parameter set and, optionally, every port moved."""
    data = network.model_dump(mode="json")
    if sweep is not None:
        try:
            SWEEPS[sweep[0]](data, sweep[1])
        except ValueError as exc:
            raise BenchConfigError(f"--sweep {sweep[0]}={sweep[1]}: {exc}") from None
    if free_ports:
        with_free_ports(data)
    return parse_network(data, f"{network.name} with {sweep[0]}={sweep[1]}" if sweep else network.name)


def write_network(network: NetworkDefinition, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(network.model_dump(mode="json"), sort_keys=False))
    return path
