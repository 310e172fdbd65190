"""The consenter plugin contract, checked the same way on every plugin the registry offers (raft on one node), in
process: what is submitted comes out through the chain as blocks holding the envelopes in submission order,
numbered consecutively, hash-linked and signed by this orderer, each counted by the BlockWriter; a stopped consenter
refuses envelopes, and a new one started on the same data continues the chain. A new plugin (bft) joins by
appearing in the registry; bft needs 3f+1 >= 4 consenters, so it is held to the same contract on four orderer
processes instead (tests/orderer/bft/test_processes.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.material import load_member
from gridledger.common.nodeconfig import NodeConfig
from gridledger.orderer.blockstore import BlockStore
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import Chain
from gridledger.orderer.consensus import Consenter, ConsenterSupport, ServiceUnavailable
from gridledger.orderer.consensus.registry import PLUGINS, create_consenter
from gridledger.orderer.cutter import BatchLimits
from gridledger.v1 import block_pb2
from tests.orderer import support

WAIT_S = 15.0  # covers a raft election on start (at most two election timeouts) and the batch timer


@dataclass
class Running:
    consenter: Consenter
    chain: Chain
    writer: BlockWriter
    context: ChannelContext
    certificate: bytes


@contextlib.asynccontextmanager
async def running(kind: str, crypto: Path, folder: Path, genesis: block_pb2.Block) -> AsyncIterator[Running]:
    """A started consenter of type `kind` for orderer0, with its chain in `folder`, as the node would build it."""
    member = load_member(crypto, "OrdererMSP", "orderer0", support.ORGS)
    context = ChannelContext.from_config(config_from_block(genesis))
    node = NodeConfig(name="orderer0", msp_id="OrdererMSP", role="orderer", crypto_dir=crypto,
                      genesis_block=folder / "genesis.block", data_dir=folder, port=0, trusted_orgs=support.ORGS)
    store = BlockStore(folder / "chain")
    try:
        chain = Chain(store)
        chain.ensure_genesis(genesis.SerializeToString())
        writer = BlockWriter(chain, member.identity)
        consenter = create_consenter(kind, ConsenterSupport(
            node, context, BatchLimits.from_config(context.config.batch), member.identity, chain, writer,
            tls=member.tls))
        await consenter.start()
        try:
            yield Running(consenter, chain, writer, context, member.identity.certificate)
        finally:
            await consenter.stop()  # a second stop after the test's own is a no-op
    finally:
        store.close()


async def _envelopes_after(chain: Chain, height: int, count: int) -> list[bytes]:
    """The envelopes of the blocks from `height` on, once there are at least `count` of them."""
    async def wait() -> list[bytes]:
        while True:
            seen = chain.height  # read once: a block stored after this line must end the wait, not be waited past
            found = [e for n in range(height, seen) for e in chain.block(n).data.envelopes]
            if len(found) >= count:
                return found
            await chain.wait_for_height(seen + 1)

    return await asyncio.wait_for(wait(), WAIT_S)


def _check_blocks(node: Running, start: int) -> None:
    """Blocks from `start` on: numbered consecutively, linked to the block before, signed by this orderer alone."""
    verifier = BlockVerifier(node.context)
    previous = node.chain.block(start - 1).header
    for number in range(start, node.chain.height):
        block = node.chain.block(number)
        assert block.header.number == number
        verifier.verify(block, number, hashing.header_hash(previous))
        assert [s.signer.certificate for s in block.metadata.signatures] == [node.certificate]
        previous = block.header


SINGLE_NODE = sorted(set(PLUGINS) - {"bft"})


@pytest.mark.parametrize("kind", SINGLE_NODE)
def test_the_consenter_contract(kind: str, tmp_path: Path, dev_crypto: Path) -> None:
    genesis = support.make_genesis(dev_crypto, kind)
    first = [[b"%s first %d" % (kind.encode(), i) for i in range(n)] for n in (3, support.MAX_MESSAGE_COUNT + 2, 1)]
    second = [b"%s second %d" % (kind.encode(), i) for i in range(4)]

    async def run() -> None:
        async with running(kind, dev_crypto, tmp_path, genesis) as node:
            assert isinstance(node.consenter, Consenter)
            for envelopes in first:
                await node.consenter.submit(envelopes)
            ordered = await _envelopes_after(node.chain, 1, sum(map(len, first)))
            assert ordered == [e for envelopes in first for e in envelopes]
            _check_blocks(node, 1)
            await node.consenter.stop()  # lets the writer finish counting the block readers already see
            assert node.writer.blocks_written == node.chain.height - 1
            with pytest.raises(ServiceUnavailable):
                await node.consenter.submit([b"after stop"])
            height = node.chain.height

        async with running(kind, dev_crypto, tmp_path, genesis) as node:
            assert node.chain.height == height
            await node.consenter.submit(second)
            assert await _envelopes_after(node.chain, height, len(second)) == second
            _check_blocks(node, 1)
            await node.consenter.stop()
            assert node.writer.blocks_written == node.chain.height - height

    asyncio.run(run())
