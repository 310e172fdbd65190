"""The orderer's chain: LevelDB store, genesis bootstrap, block building and signing, restart continuation."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.orderer.blockstore import BlockStore, StoreError
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import Chain, ChainError
from gridledger.v1 import block_pb2
from tests.orderer import support


@pytest.fixture(scope="module")
def genesis(dev_crypto: Path) -> block_pb2.Block:
    return support.make_genesis(dev_crypto)


def test_store_appends_in_order_and_reopens(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "db")
    assert store.height == 0 and store.get(0) is None
    store.append(0, b"zero")
    store.append(1, b"one")
    with pytest.raises(StoreError, match="next block is 2"):
        store.append(5, b"five")
    store.close()
    again = BlockStore(tmp_path / "db")
    assert again.height == 2
    assert again.get(0) == b"zero" and again.get(1) == b"one" and again.get(2) is None and again.get(-1) is None
    again.close()


def test_store_refuses_a_second_opener(tmp_path: Path) -> None:
    store = BlockStore(tmp_path / "db")
    try:
        with pytest.raises(StoreError, match="another orderer"):
            BlockStore(tmp_path / "db")
    finally:
        store.close()


def test_genesis_bootstrap_and_mismatch(tmp_path: Path, genesis: block_pb2.Block, dev_crypto: Path) -> None:
    store = BlockStore(tmp_path / "db")
    chain = Chain(store)
    raw = genesis.SerializeToString()
    chain.ensure_genesis(raw)
    assert chain.height == 1 and chain.raw_block(0) == raw
    chain.ensure_genesis(raw)  # same genesis again: fine
    other = support.make_genesis(dev_crypto).SerializeToString()  # new timestamp and nonce: another chain
    with pytest.raises(ChainError, match="different genesis"):
        chain.ensure_genesis(other)
    store.close()


def test_invalid_genesis_is_refused(tmp_path: Path, genesis: block_pb2.Block) -> None:
    store = BlockStore(tmp_path / "db")
    chain = Chain(store)
    with pytest.raises(ChainError, match="not a valid Block"):
        chain.ensure_genesis(b"\xff\xff\xff")
    tampered = block_pb2.Block()
    tampered.CopyFrom(genesis)
    tampered.header.data_hash = bytes(32)
    with pytest.raises(ChainError, match="not a valid config block"):
        chain.ensure_genesis(tampered.SerializeToString())
    assert chain.height == 0
    store.close()


def test_written_blocks_verify_and_restart_continues(tmp_path: Path, genesis: block_pb2.Block,
                                                     dev_crypto: Path) -> None:
    verifier = BlockVerifier(ChannelContext.from_config(config_from_block(genesis)))
    orderer = support.identity(dev_crypto, "OrdererMSP", "orderer0")

    async def write(batches: list[list[bytes]]) -> None:
        store = BlockStore(tmp_path / "db")
        try:
            chain = Chain(store)
            chain.ensure_genesis(genesis.SerializeToString())
            writer = BlockWriter(chain, orderer)
            for batch in batches:
                block = await writer.write_batch(batch)
                assert block.metadata.last_config == 0
        finally:
            store.close()

    asyncio.run(write([[b"a", b"b"], [b"c"]]))
    asyncio.run(write([[b"d"]]))  # a new process: continues from block 2
    store = BlockStore(tmp_path / "db")
    chain = Chain(store)
    assert chain.height == 4
    previous = genesis.header
    for number in range(1, 4):
        block = chain.block(number)
        verifier.verify(block, number, hashing.header_hash(previous))
        previous = block.header
    assert [list(chain.block(n).data.envelopes) for n in (1, 2, 3)] == [[b"a", b"b"], [b"c"], [b"d"]]
    store.close()


def test_append_rejects_a_block_that_does_not_extend_the_chain(tmp_path: Path, genesis: block_pb2.Block) -> None:
    async def run() -> None:
        store = BlockStore(tmp_path / "db")
        chain = Chain(store)
        chain.ensure_genesis(genesis.SerializeToString())
        block = block_pb2.Block()
        block.header.number = 5
        with pytest.raises(ChainError, match="does not extend"):
            await chain.append(block)
        store.close()

    asyncio.run(run())


def test_waiters_wake_on_append(tmp_path: Path, genesis: block_pb2.Block, dev_crypto: Path) -> None:
    async def run() -> None:
        store = BlockStore(tmp_path / "db")
        chain = Chain(store)
        chain.ensure_genesis(genesis.SerializeToString())
        writer = BlockWriter(chain, support.identity(dev_crypto, "OrdererMSP", "orderer0"))
        waiter = asyncio.create_task(chain.wait_for_height(3))
        await writer.write_batch([b"x"])
        await asyncio.sleep(0)
        assert not waiter.done()
        await writer.write_batch([b"y"])
        await asyncio.wait_for(waiter, 5)
        store.close()

    asyncio.run(run())


def test_cancelled_writer_leaves_memory_and_disk_in_agreement(tmp_path: Path, genesis: block_pb2.Block,
                                                              dev_crypto: Path) -> None:
    async def run() -> None:
        store = BlockStore(tmp_path / "db")
        chain = Chain(store)
        chain.ensure_genesis(genesis.SerializeToString())
        writer = BlockWriter(chain, support.identity(dev_crypto, "OrdererMSP", "orderer0"))
        task = asyncio.create_task(writer.write_batch([b"x"]))
        await asyncio.sleep(0)  # the write is in flight in its thread
        if task.cancel():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.wait_for(chain.wait_for_height(2), 5)  # the write still lands ...
        assert chain.last_header.number == 1  # ... and the tip moved with it
        block = await writer.write_batch([b"y"])
        BlockVerifier(ChannelContext.from_config(config_from_block(genesis))).verify(
            block, 2, hashing.header_hash(chain.block(1).header))
        store.close()

    asyncio.run(run())
