"""ChaincodeStub: everything a contract may touch. It validates arguments and hands state access to a backend.

The stub holds no state access of its own: a backend (the worker's pipe to the peer, or an in-memory one in tests)
serves reads, buffers writes and runs calls to other chaincodes. The shim therefore never needs the peer's code,
and contracts can be unit-tested without a peer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol

from gridledger.chaincode import composite
from gridledger.chaincode.codec import encode_value
from gridledger.chaincode.context import Creator, TxContext
from gridledger.chaincode.errors import ChaincodeError
from gridledger.chaincode.response import ChaincodeResponse


class StateBackend(Protocol):
    """State access for one invocation, in the chaincode's own namespace. Reads see this invocation's writes."""

    def get_states(self, keys: Sequence[str]) -> list[bytes | None]: ...

    def put_state(self, key: str, value: bytes) -> None: ...

    def del_state(self, key: str) -> None: ...

    def range(self, start: str, end: str) -> Iterator[tuple[str, bytes]]: ...

    def invoke_chaincode(self, name: str, function: str, args: list[bytes]) -> ChaincodeResponse: ...


class ChaincodeStub:
    """The contract's view of one invocation: transaction context, arguments and state."""

    def __init__(self, context: TxContext, function: str, args: Sequence[bytes], backend: StateBackend,
                 *, read_only: bool = False) -> None:
        self._context = context
        self._function = function
        self._args = tuple(bytes(arg) for arg in args)
        self._backend = backend
        self._read_only = read_only
        self._event: tuple[str, bytes] | None = None

    # ---- transaction context ----

    @property
    def tx_id(self) -> str:
        return self._context.tx_id

    @property
    def channel_id(self) -> str:
        return self._context.channel_id

    @property
    def creator(self) -> Creator:
        """MSP id, role and certificate fingerprint of the submitter (as checked by the endorser)."""
        return self._context.creator

    @property
    def tx_timestamp(self) -> int:
        """The proposal's timestamp in ns since the epoch: the only clock a contract may use (same on every peer)."""
        return self._context.timestamp_ns

    @property
    def block_height(self) -> int:
        """Blocks in the endorser's state snapshot: a ledger-height clock. Endorsers a block apart disagree (the
        gateway then asks again), and the value is not re-checked at commit, so gate a phase on it only through a
        state key that the transition writes (MVCC then rejects anything ordered after the transition)."""
        return self._context.block_height

    @property
    def block_hash(self) -> bytes:
        """Header hash of the last block in the endorser's snapshot (the block before the one this transaction
        joins): a random seed that no client chooses, the same on every endorser at that height (with the same
        caveat as block_height: endorsers a block apart disagree, and the gateway asks again)."""
        return self._context.block_hash

    @property
    def calling_chaincode(self) -> str:
        """The chaincode that invoked this one in the same transaction (empty when the client called it directly):
        lets a contract accept some functions only from a trusted chaincode."""
        return self._context.caller

    @property
    def transient(self) -> Mapping[str, bytes]:
        """Private inputs that reach the chaincode but never the ledger (read-only)."""
        return self._context.transient

    @property
    def function(self) -> str:
        return self._function

    @property
    def args(self) -> tuple[bytes, ...]:
        """The raw arguments, before the contract's annotations decoded them."""
        return self._args

    @property
    def read_only(self) -> bool:
        return self._read_only

    # ---- state ----

    def get_state(self, key: str) -> bytes | None:
        """The key's value, or None if it does not exist."""
        return self._backend.get_states([composite.validate_key(key)])[0]

    def get_states(self, keys: Iterable[str]) -> list[bytes | None]:
        """Values of several keys in one round trip to the peer (same order; None for absent keys)."""
        checked = [composite.validate_key(key) for key in keys]
        return self._backend.get_states(checked) if checked else []

    def put_state(self, key: str, value: bytes) -> None:
        self._check_writable("put_state")
        if not isinstance(value, bytes | bytearray):
            raise TypeError(f"put_state takes the value as bytes, got {type(value).__name__}")
        self._backend.put_state(composite.validate_key(key), bytes(value))

    def del_state(self, key: str) -> None:
        self._check_writable("del_state")
        self._backend.del_state(composite.validate_key(key))

    def get_state_by_range(self, start_key: str, end_key: str) -> Iterator[tuple[str, bytes]]:
        """(key, value) pairs with start_key <= key < end_key in key order; end_key "" means no upper bound.

        Composite keys are never returned (an empty start begins after them, as in Fabric).
        """
        start = composite.validate_simple_key(start_key, "start key") or composite.EMPTY_START
        end = composite.validate_simple_key(end_key, "end key")
        return self._backend.range(start, end)

    # ---- composite keys ----

    @staticmethod
    def create_composite_key(object_type: str, attributes: Iterable[str]) -> str:
        return composite.create_composite_key(object_type, attributes)

    @staticmethod
    def split_composite_key(key: str) -> tuple[str, list[str]]:
        return composite.split_composite_key(key)

    def get_state_by_partial_composite_key(self, object_type: str,
                                           attributes: Iterable[str] = ()) -> Iterator[tuple[str, bytes]]:
        """Every composite key of this type whose first attributes are `attributes`, in key order."""
        start, end = composite.partial_key_range(object_type, attributes)
        return self._backend.range(start, end)

    # ---- events and other chaincodes ----

    def set_event(self, name: str, payload: bytes = b"") -> None:
        """Attach an event to the transaction, delivered to listeners once it commits; a later call replaces it."""
        self._check_writable("set_event")
        if not isinstance(name, str) or not name:
            raise ValueError("an event needs a non-empty name")
        if not isinstance(payload, bytes | bytearray):
            raise TypeError(f"set_event takes the payload as bytes, got {type(payload).__name__}")
        self._event = (name, bytes(payload))

    @property
    def event(self) -> tuple[str, bytes] | None:
        return self._event

    def invoke_chaincode(self, name: str, function: str, args: Sequence[object] = ()) -> ChaincodeResponse:
        """Call another chaincode on this channel inside this transaction; its reads and writes land in its own
        namespace of the same read/write set. Arguments are encoded like results (str as UTF-8, JSON for others).
        """
        if not isinstance(name, str) or not name or not isinstance(function, str) or not function:
            raise ValueError("invoke_chaincode needs a chaincode name and a function name")
        return self._backend.invoke_chaincode(name, function, [encode_value(arg) for arg in args])

    def _check_writable(self, operation: str) -> None:
        if self._read_only:
            raise ChaincodeError(f"{operation} is not allowed in query function {self._function!r}")
