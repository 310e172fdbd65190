"""Experiment specifications: one YAML file names the network, its block settings, the market configuration, the
trace and the agents. `--quick` applies the spec's `quick` section, a reduced size for smoke runs and the demo.
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridledger.ops.netconfig import _describe as describe_field_error  # one message style for every YAML file

Model = typing.TypeVar("Model", bound=BaseModel)


class StrictSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkOverrides(StrictSpec):
    """Block settings that replace the network file's (they live in the channel config, so they are applied by
    writing a derived network file before the genesis block is made)."""

    batch_timeout_ms: int | None = Field(default=None, ge=1, le=60_000)
    max_message_count: int | None = Field(default=None, ge=1, le=100_000)


class MarketSpec(StrictSpec):
    sealing: Literal["own-key", "auctioneer-key", "commit-reveal"] = "own-key"
    data_model: Literal["key-per-tx", "key-per-slot"] = "key-per-tx"
    tie_rule: Literal["average", "highest", "lowest"] = "average"
    slot_length_blocks: int = Field(default=140, ge=4, le=100_000)
    reveal_offset_blocks: int = Field(default=70, ge=2)
    start_margin_blocks: int = Field(default=10, ge=1, le=10_000)

    @model_validator(mode="after")
    def _reveal_inside_slot(self) -> MarketSpec:
        if not 2 <= self.reveal_offset_blocks <= self.slot_length_blocks - 2:
            raise ValueError(f"reveal_offset_blocks must leave at least 2 blocks for bids and for reveals: "
                             f"2 <= {self.reveal_offset_blocks} <= slot_length_blocks - 2")
        return self


class TraceSpec(StrictSpec):
    path: Path
    households: int | None = Field(default=None, ge=1)
    first_slot: int = Field(default=0, ge=0)
    slots: int | None = Field(default=None, ge=1)


class AgentSpec(StrictSpec):
    strategy: Literal["zero-intelligence", "net-midpoint"] = "zero-intelligence"
    alpha: int = Field(default=10, ge=1, le=1000)
    retries: int = Field(default=2, ge=0, le=20)
    clock_interval_ms: int = Field(default=100, ge=10, le=60_000)
    seed: int = 1


class QuickSpec(StrictSpec):
    """What `--quick` replaces: a smaller community, a few slots, shorter slots, and optionally another trace
    (the shipped sample, so the quick runs need nothing built first)."""

    trace: Path | None = None
    households: int = Field(default=63, ge=1)
    first_slot: int = Field(default=0, ge=0)
    slots: int = Field(default=6, ge=1)
    slot_length_blocks: int | None = Field(default=None, ge=4)
    reveal_offset_blocks: int | None = Field(default=None, ge=2)


class ExperimentSpec(StrictSpec):
    kind: Literal["market"] = "market"
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    configuration: str = ""
    network: Path
    overrides: NetworkOverrides = NetworkOverrides()
    market: MarketSpec = MarketSpec()
    trace: TraceSpec
    agents: AgentSpec = AgentSpec()
    quick: QuickSpec = QuickSpec()

    @property
    def market_id(self) -> str:
        """The market the run creates (market ids take no dots)."""
        return self.name.replace(".", "-")

    def quickened(self) -> ExperimentSpec:
        """The reduced experiment `--quick` runs."""
        quick = self.quick
        market = self.market.model_copy(update={
            key: value for key, value in (("slot_length_blocks", quick.slot_length_blocks),
                                          ("reveal_offset_blocks", quick.reveal_offset_blocks)) if value is not None})
        trace = self.trace.model_copy(update={"path": quick.trace or self.trace.path, "households": quick.households,
                                              "first_slot": quick.first_slot, "slots": quick.slots})
        return self.model_copy(update={"name": f"{self.name}-quick", "market": MarketSpec(**market.model_dump()),
                                       "trace": trace})


class SpecError(Exception):
    pass


def read_spec_mapping(path: Path) -> dict:
    """The YAML mapping of a spec file of any kind; relative paths in it are relative to the current directory
    (the project root)."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SpecError(f"cannot read experiment spec {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{path}: an experiment spec is a mapping (kind, name, network, ...)")
    return data


def spec_kind(path: Path) -> str:
    """Which experiment a spec describes (its top-level `kind`, `market` when absent), checked against
    `known` by the caller: each kind has its own spec model and runner."""
    kind = read_spec_mapping(path).get("kind", "market")
    if not isinstance(kind, str):
        raise SpecError(f"{path}: kind: expected a string such as 'market'")
    return kind


def validate_spec(path: Path, model: type[Model], data: dict) -> Model:
    """`data` as `model`, every validation error reported in one message naming the file."""
    try:
        return model(**data)
    except ValidationError as exc:
        raise SpecError("\n".join(f"{path}: {describe(error, model)}" for error in exc.errors())) from None


def load_spec(path: Path) -> ExperimentSpec:
    """Read a market experiment spec."""
    return validate_spec(path, ExperimentSpec, read_spec_mapping(path))


def describe(error: dict, model: type[BaseModel] = ExperimentSpec) -> str:
    """One validation error in the network file's style (ops/netconfig.py: field, what is wrong, what is
    allowed); an unknown field also names the closest allowed one."""
    message = describe_field_error(error)
    if error["type"] == "extra_forbidden":
        allowed = allowed_fields(model, error["loc"][:-1])
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1, cutoff=0.6)
        if close:
            message += f": did you mean {close[0]!r}?"
        message += f" (allowed here: {', '.join(allowed)})"
    return message


def allowed_fields(model: type[BaseModel], location: tuple) -> list[str]:
    """The field names a model accepts at `location` (a validation error's path to the mapping)."""
    for part in location:
        if isinstance(part, int) or part not in model.model_fields:
            continue
        annotation = model.model_fields[part].annotation
        nested = [a for a in (annotation, *typing.get_args(annotation))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        if not nested:
            return []
        model = nested[0]
    return list(model.model_fields)
