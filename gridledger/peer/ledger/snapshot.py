"""Reading world state: versioned values and point-in-time views for chaincode simulation.

Simulation must see one consistent state even while blocks commit underneath it, otherwise its read set could mix
versions from two blocks; a LevelDB snapshot gives that without copying or locking anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Any, NamedTuple

from gridledger.peer.ledger import keys


class VersionedValue(NamedTuple):
    """A key's current value and the position (block, tx) of the transaction that wrote it."""

    value: bytes
    block_num: int
    tx_num: int


def decode_value(raw: bytes | None) -> VersionedValue | None:
    return None if raw is None else unpack_value(raw)


def unpack_value(raw: bytes) -> VersionedValue:
    block_num, tx_num = keys.decode_version(raw)
    return VersionedValue(raw[keys.VERSION_SIZE :], block_num, tx_num)


def encode_value(value: bytes, block_num: int, tx_num: int) -> bytes:
    return keys.encode_version(block_num, tx_num) + value


class StateSnapshot:
    """World state as of the last block committed when the snapshot was taken. Close it to release LevelDB's hold."""

    def __init__(self, snapshot: Any, height: int, tip_hash: bytes) -> None:
        self._snapshot = snapshot
        self._height = height
        self._tip_hash = tip_hash

    @property
    def height(self) -> int:
        """Number of blocks the view reflects (so simulation can record which state it ran against)."""
        return self._height

    @property
    def tip_hash(self) -> bytes:
        """Header hash of the last block the view reflects (empty before the genesis block)."""
        return self._tip_hash

    def get(self, namespace: str, key: str) -> VersionedValue | None:
        return decode_value(self._snapshot.get(keys.state_key(namespace, key)))

    def get_many(self, namespace: str, keys_: list[str]) -> list[VersionedValue | None]:
        """Batched reads in request order, so a chaincode worker's read batch costs one call."""
        get = self._snapshot.get
        prefix = keys.namespace_prefix(namespace)
        return [decode_value(get(prefix + key.encode())) for key in keys_]

    def range(self, namespace: str, start_key: str, end_key: str) -> Iterator[tuple[str, VersionedValue]]:
        """Keys in [start_key, end_key) of one namespace in key order; an empty end_key means no upper bound."""
        prefix = keys.namespace_prefix(namespace)
        # Keys are UTF-8 and never contain 0xFF, so prefix + 0xFF lies above every key of the namespace.
        stop = prefix + (end_key.encode() if end_key else keys.END)
        cut = len(prefix)
        with self._snapshot.iterator(start=prefix + start_key.encode(), stop=stop) as iterator:
            for raw_key, raw_value in iterator:
                yield raw_key[cut:].decode(), unpack_value(raw_value)

    def close(self) -> None:
        self._snapshot.close()

    def __enter__(self) -> StateSnapshot:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
