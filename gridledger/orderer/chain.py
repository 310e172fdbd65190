"""The chain as the rest of the orderer sees it: the block store plus its tip, and a way to wait for new blocks.

Writing is asynchronous (the fsync runs in a worker thread, so broadcast keeps being served while a block reaches
the disk); readers are woken the moment a block is stored, with no polling, so Deliver streams blocks as fast as
they are written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gridledger.common import hashing
from gridledger.common.channel import ConfigError, config_from_block
from gridledger.orderer.blockstore import BlockStore, StoreError
from gridledger.v1 import block_pb2


@dataclass(frozen=True)
class ChainTip:
    """The last block of a chain: its number and header hash (all a next block needs). A consenter may build on a
    tip ahead of the stored chain (a raft leader builds on the last block of its log)."""

    number: int
    hash: bytes

    @property
    def height(self) -> int:
        return self.number + 1

    @classmethod
    def of(cls, header: block_pb2.BlockHeader) -> ChainTip:
        return cls(header.number, hashing.header_hash(header))


class ChainError(Exception):
    """A block that does not extend the chain, or a store that holds another chain."""


class Chain:
    """One channel's chain on this orderer. Appends are serialised; any number of tasks may wait for growth."""

    def __init__(self, store: BlockStore) -> None:
        self._store = store
        self._lock = asyncio.Lock()
        self._grown = asyncio.Event()
        self._last_header: block_pb2.BlockHeader | None = None
        if store.height:
            self._last_header = self.block(store.height - 1).header

    def ensure_genesis(self, genesis: bytes) -> None:
        """Start an empty store with `genesis` (after checking its config and signatures), or check that a
        non-empty store was started from the same genesis block, so a data_dir is never reused for another
        channel by mistake."""
        if self._store.height == 0:
            try:
                block = block_pb2.Block.FromString(genesis)
            except Exception as exc:  # DecodeError and friends
                raise ChainError(f"the genesis block is not a valid Block: {exc}") from None
            if block.header.number != 0 or block.header.previous_hash:
                raise ChainError(f"the genesis block must be block 0 with no previous hash, got block "
                                 f"{block.header.number}")
            try:
                config_from_block(block)
            except ConfigError as exc:
                raise ChainError(f"the genesis block is not a valid config block: {exc}") from None
            self._store.append(0, genesis)
            self._last_header = block.header
        elif self._store.get(0) != genesis:
            raise ChainError("the block store holds a chain that was started from a different genesis block; "
                             "use a fresh data_dir for this channel")

    @property
    def height(self) -> int:
        return self._store.height

    @property
    def last_header(self) -> block_pb2.BlockHeader:
        if self._last_header is None:
            raise ChainError("the chain is empty: it has no genesis block yet")
        return self._last_header

    def raw_block(self, number: int) -> bytes | None:
        """The stored bytes of block `number` (None beyond the tip)."""
        return self._store.get(number)

    def block(self, number: int) -> block_pb2.Block:
        raw = self._store.get(number)
        if raw is None:
            raise ChainError(f"block {number} is not in the chain (height {self._store.height})")
        try:
            return block_pb2.Block.FromString(raw)
        except Exception as exc:
            raise ChainError(f"block {number} in the store cannot be parsed ({exc})") from None

    async def append(self, block: block_pb2.Block) -> None:
        """Store `block`, which must be the next one, then wake everyone waiting for it.

        If the caller is cancelled while the write is in flight, the write still completes and the tip still
        moves (the bookkeeping is a callback of the write, not code after the await), so memory never disagrees
        with the disk."""
        data = block.SerializeToString()
        header = block_pb2.BlockHeader()
        header.CopyFrom(block.header)
        async with self._lock:
            if header.number != self._store.height:
                raise ChainError(f"block {header.number} does not extend the chain at height {self._store.height}")
            write = asyncio.ensure_future(asyncio.to_thread(self._store.append, header.number, data))
            write.add_done_callback(lambda done: self._advanced(done, header))
            try:
                await asyncio.shield(write)
            except StoreError as exc:
                raise ChainError(str(exc)) from None

    def _advanced(self, write: asyncio.Future[None], header: block_pb2.BlockHeader) -> None:
        if write.cancelled() or write.exception() is not None:
            return
        self._last_header = header
        grown, self._grown = self._grown, asyncio.Event()
        grown.set()

    async def wait_for_height(self, height: int) -> None:
        """Return once the chain has at least `height` blocks."""
        # Compare against the tip this loop has seen (set in _advanced), not the store's height, which the writer
        # thread raises a moment earlier: a woken reader must find last_header already moved.
        while self._last_header is None or self._last_header.number + 1 < height:
            await self._grown.wait()
