"""An in-process ledger for market and token unit tests: several contracts, one committed state per namespace,
cross-chaincode calls that see the caller's name, and a record of every key each transaction read.

Like a peer, a transaction's writes land only if it succeeds, and a failed nested call leaves no writes behind.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from gridledger.chaincode import ChaincodeResponse, Contract, Creator, TxContext
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.runner import run_function

Overlay = dict[str, dict[str, bytes | None]]


def fingerprint(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def identity(name: str, role: str = "client", msp_id: str = "Org1MSP") -> Creator:
    return Creator(msp_id, role, fingerprint(name))


@dataclass
class Call:
    """What one transaction read (keys, and ranges as (start, end)) in each namespace."""

    reads: dict[str, set[str]] = field(default_factory=dict)
    ranges: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


class _Backend:
    def __init__(self, world: World, namespace: str, context: TxContext, overlay: Overlay, call: Call) -> None:
        self.world, self.namespace, self.context, self.overlay, self.call = world, namespace, context, overlay, call

    def _mine(self) -> dict[str, bytes | None]:
        return self.overlay.setdefault(self.namespace, {})

    def get_states(self, keys: Sequence[str]) -> list[bytes | None]:
        self.call.reads.setdefault(self.namespace, set()).update(keys)
        committed = self.world.state.setdefault(self.namespace, {})
        return [self._mine()[key] if key in self._mine() else committed.get(key) for key in keys]

    def put_state(self, key: str, value: bytes) -> None:
        self._mine()[key] = value

    def del_state(self, key: str) -> None:
        self._mine()[key] = None

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes]]:
        self.call.ranges.setdefault(self.namespace, []).append((start, end))
        merged = {**self.world.state.setdefault(self.namespace, {}), **self._mine()}
        inside = [(k, v) for k, v in sorted(merged.items()) if start <= k and (not end or k < end)]
        return iter([(k, v) for k, v in inside if v is not None])

    def invoke_chaincode(self, name: str, function: str, args: list[bytes]) -> ChaincodeResponse:
        trial = {ns: dict(writes) for ns, writes in self.overlay.items()}
        nested = dataclasses.replace(self.context, caller=self.namespace)
        outcome = run_function(self.world.contracts[name], nested, function, args,
                               _Backend(self.world, name, nested, trial, self.call))
        if outcome.response.ok:
            self.overlay.clear()
            self.overlay.update(trial)
        return outcome.response


class World:
    """Committed state of every namespace; `call` runs one transaction or query and commits on success."""

    @property
    def block_hash(self) -> bytes:
        """A stand-in tip hash that changes with the height, as a peer's does."""
        return hashlib.sha256(b"block %d" % self.height).digest()

    def __init__(self, contracts: dict[str, Contract]) -> None:
        self.contracts = contracts
        self.state: dict[str, dict[str, bytes]] = {}
        self.height = 1
        self.timestamp_ns = 1_700_000_000_000_000_000
        self.last = Call()
        self.tx_count = 0

    def call(self, creator: Creator, chaincode: str, function: str, *args: object,
             caller: str = "") -> ChaincodeResponse:
        self.tx_count += 1
        context = TxContext(f"tx-{self.tx_count}", "energy", creator, self.timestamp_ns,
                            block_height=self.height, caller=caller, block_hash=self.block_hash)
        overlay: Overlay = {}
        self.last = Call()
        outcome = run_function(self.contracts[chaincode], context, function, [encode_value(a) for a in args],
                               _Backend(self, chaincode, context, overlay, self.last))
        if outcome.response.ok:
            for namespace, writes in overlay.items():
                committed = self.state.setdefault(namespace, {})
                for key, value in writes.items():
                    if value is None:
                        committed.pop(key, None)
                    else:
                        committed[key] = value
        return outcome.response

    def ok(self, creator: Creator, chaincode: str, function: str, *args: object) -> object:
        """Call and insist on success; the decoded JSON result (or None for an empty payload)."""
        response = self.call(creator, chaincode, function, *args)
        assert response.ok, f"{function} failed: {response.status} {response.message}"
        return json.loads(response.payload) if response.payload else None
