"""What a chaincode knows about the transaction it runs for, all taken from the signed proposal.

Everything here is identical on every endorser (no local clock, no local identity), so contracts can use it freely
without breaking determinism.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Creator:
    """The proposal's submitter: organisation (MSP id), role in its certificate, and certificate fingerprint (hex)."""

    msp_id: str
    role: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class TxContext:
    """The transaction's identity and inputs that are not function arguments."""

    tx_id: str
    channel_id: str
    creator: Creator
    timestamp_ns: int
    transient: Mapping[str, bytes] = field(default_factory=dict)
    block_height: int = 0
    caller: str = ""
    block_hash: bytes = b""

    def __post_init__(self) -> None:
        # A read-only copy: transient data is private input, and contracts must not be able to change it for others.
        object.__setattr__(self, "transient", MappingProxyType(dict(self.transient)))
