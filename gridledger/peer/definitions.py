"""Committed chaincode definitions as the `_lifecycle` namespace stores them, and how to read them back.

Every peer decides from its own state which definition is in force; the endorser and the committer read the same
keys, so a transaction simulated under an older definition is caught as EXPIRED_CHAINCODE.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from gridledger.common import hashing

LIFECYCLE_NAMESPACE = "_lifecycle"
DEFINITION_PREFIX = "definition/"
APPROVAL_PREFIX = "approval/"


@dataclass(frozen=True)
class Definition:
    """What the organisations agree on for one chaincode (as in Fabric's lifecycle)."""

    name: str
    version: str
    sequence: int
    package_hash: str
    endorsement_policy: str

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Definition:
        fields = json.loads(data)
        return cls(name=str(fields["name"]), version=str(fields["version"]), sequence=int(fields["sequence"]),
                   package_hash=str(fields["package_hash"]), endorsement_policy=str(fields["endorsement_policy"]))

    def digest(self) -> str:
        return hashing.sha256(self.to_bytes()).hex()


def definition_key(name: str) -> str:
    return DEFINITION_PREFIX + name


def approval_key(name: str, sequence: int, msp_id: str) -> str:
    return f"{APPROVAL_PREFIX}{name}/{sequence}/{msp_id}"


def parse_approval_key(key: str) -> tuple[str, int, str] | None:
    """(chaincode name, sequence, msp id) of an approval key, or None if `key` is not one."""
    if not key.startswith(APPROVAL_PREFIX):
        return None
    parts = key[len(APPROVAL_PREFIX):].split("/")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2]


def read_definition(get_state: Callable[[str, str], Any], name: str) -> Definition | None:
    """The definition in force for `name`; get_state(namespace, key) returns an object with .value, or None."""
    found = get_state(LIFECYCLE_NAMESPACE, definition_key(name))
    return Definition.from_bytes(found.value) if found is not None else None
