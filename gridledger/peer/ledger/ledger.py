"""The peer's ledger for one channel: block store, world state, history and state hashes behind one object."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import plyvel

from gridledger.peer.ledger import keys
from gridledger.peer.ledger.batch import is_delete_marker, stage_block
from gridledger.peer.ledger.blockfiles import DEFAULT_MAX_FILE_SIZE, BlockFiles, file_name
from gridledger.peer.ledger.errors import LedgerCorruption
from gridledger.peer.ledger.keys import BlockLocation
from gridledger.peer.ledger.recovery import Tip, load_tip, parse_block, replay_tail
from gridledger.peer.ledger.snapshot import StateSnapshot, VersionedValue, decode_value
from gridledger.peer.ledger.txdata import TxEntry, read_block
from gridledger.v1 import block_pb2


class Ledger:
    """Opens (or creates) the ledger at `path` and replays any block appended but not indexed before a crash.

    Commits are serialised by a lock; reads need none (LevelDB and pread are safe across threads) and see whole
    blocks only, because a block becomes visible in one atomic write batch.
    """

    def __init__(self, path: Path, *, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._failure: BaseException | None = None
        self._closed = False
        self._files = BlockFiles(path / "blocks", max_file_size)
        try:
            self._db = plyvel.DB(str(path / "db"), create_if_missing=True)
        except BaseException:
            self._files.close()
            raise
        try:
            self._tip, position = load_tip(self._db, self._files)
            replay_tail(self._files, position, self._replay)
        except BaseException:
            self.close()
            raise

    # ---- chain tip ----

    @property
    def height(self) -> int:
        """Number of committed blocks, i.e. the number the next block must carry."""
        return self._tip.height

    @property
    def last_block_hash(self) -> bytes:
        """Header hash of the last block; b"" before the genesis block."""
        return self._tip.last_hash

    @property
    def state_hash(self) -> bytes:
        """Cumulative state hash after the last block; 32 zero bytes before the genesis block."""
        return self._tip.state_hash

    # ---- commit ----

    def commit(self, block: block_pb2.Block) -> None:
        """Append the block durably, then index it and apply its valid writes in one atomic batch.

        Raises ValueError, changing nothing, if the block does not extend the chain or its validation codes or
        VALID transactions are malformed. Once this returns, the block survives a crash at any instant.
        """
        with self._lock:
            self._check_usable()
            self._check_extends(block)
            entries = read_block(block)
            try:
                location = self._files.append(block.SerializeToString())
                self._write(block, entries, location)
            except BaseException as exc:
                # The files may now be ahead of the index; only reopening (recovery) can reconcile them.
                self._failure = exc
                raise

    def _check_extends(self, block: block_pb2.Block) -> None:
        tip = self._tip
        if block.header.number != tip.height:
            raise ValueError(f"block number {block.header.number} does not follow the ledger height {tip.height}")
        if block.header.previous_hash != tip.last_hash:
            raise ValueError(
                f"block {block.header.number} previous_hash {block.header.previous_hash.hex()} does not match "
                f"the last block hash {tip.last_hash.hex()}"
            )

    def _replay(self, location: BlockLocation, block: block_pb2.Block) -> None:
        """Recovery's commit: the block is already in the files, so only the batch is written."""
        where = f"{file_name(location.file_no)} offset {location.offset}"
        try:
            self._check_extends(block)
            entries = read_block(block)
        except ValueError as exc:
            raise LedgerCorruption(f"{where}: cannot replay the block after the savepoint: {exc}") from exc
        self._write(block, entries, location)

    def _write(self, block: block_pb2.Block, entries: list[TxEntry], location: BlockLocation) -> None:
        batch = self._db.write_batch(sync=True)
        header_hash, state_hash = stage_block(batch, block, entries, location, self._tip.state_hash)
        batch.write()
        self._tip = Tip(block.header.number + 1, header_hash, state_hash)

    def _check_usable(self) -> None:
        if self._closed:
            raise RuntimeError("the ledger is closed")
        if self._failure is not None:
            raise RuntimeError(f"an earlier commit failed part-way ({self._failure!r}); reopen the ledger to recover")

    # ---- blocks and transactions ----

    def get_block(self, number: int) -> block_pb2.Block | None:
        if number < 0 or number >= self._tip.height:
            return None
        raw = self._db.get(keys.block_key(number))
        if raw is None:
            raise LedgerCorruption(f"block {number} is below the height {self.height} but is not indexed")
        location = keys.decode_location(raw)
        return parse_block(self._files.read(location), location)

    def iter_blocks(self, start: int = 0) -> Iterator[block_pb2.Block]:
        """Blocks from `start` up to the height, including blocks committed while iterating."""
        number = max(start, 0)
        while number < self._tip.height:
            block = self.get_block(number)
            if block is not None:
                yield block
            number += 1

    def get_tx_location(self, tx_id: str) -> tuple[int, int, int] | None:
        """(block, tx index, validation code) of the first transaction with this id (later copies are duplicates)."""
        with self._db.iterator(prefix=keys.txid_prefix(tx_id)) as iterator:
            for key, value in iterator:
                block_num, tx_num = keys.decode_version_suffix(key)
                return block_num, tx_num, keys.decode_code(value)
        return None

    def has_tx(self, tx_id: str) -> bool:
        """Whether any committed block, valid or not, carries this txid: the duplicate check needs exactly that."""
        with self._db.iterator(prefix=keys.txid_prefix(tx_id), include_value=False) as iterator:
            return next(iterator, None) is not None

    # ---- state ----

    def get_state(self, namespace: str, key: str) -> VersionedValue | None:
        return decode_value(self._db.get(keys.state_key(namespace, key)))

    def snapshot(self) -> StateSnapshot:
        """A consistent view for simulation; its height is read inside the view, so it matches the state exactly."""
        snapshot = self._db.snapshot()
        raw = snapshot.get(keys.SAVEPOINT)
        if raw is None:
            return StateSnapshot(snapshot, 0, b"")
        number, header_hash = keys.decode_savepoint(raw)
        return StateSnapshot(snapshot, number + 1, header_hash)

    def get_history(self, namespace: str, key: str) -> list[tuple[int, int, bool]]:
        """Every (block, tx, is_delete) that changed the key, oldest first (big-endian keys sort chronologically)."""
        prefix = keys.history_prefix(namespace, key)
        with self._db.iterator(prefix=prefix) as iterator:
            return [(*keys.decode_version_suffix(k), is_delete_marker(v)) for k, v in iterator]

    def state_hash_at(self, number: int) -> bytes:
        """State hash recorded after block `number`; ValueError if the block is not committed."""
        raw = self._db.get(keys.state_hash_key(number)) if 0 <= number < self._tip.height else None
        if raw is None:
            raise ValueError(f"no state hash for block {number}: the ledger height is {self.height}")
        return raw

    # ---- lifecycle ----

    def close(self) -> None:
        """Release LevelDB and the block files; safe to call twice. Open snapshots become unusable."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._db.close()
            self._files.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
