"""The solo consenter in-process: cutting by count, by the batch timer, flushing on stop, refusing after stop."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.nodeconfig import NodeConfig
from gridledger.orderer.blockstore import BlockStore
from gridledger.orderer.blockwriter import BlockWriter
from gridledger.orderer.chain import Chain
from gridledger.orderer.consensus import Consenter, ConsenterSupport, ServiceUnavailable
from gridledger.orderer.consensus.registry import UnsupportedConsensus, create_consenter
from gridledger.orderer.consensus.solo import SoloConsenter
from gridledger.orderer.cutter import BatchLimits
from tests.orderer import support


def _support(tmp_path: Path, crypto: Path, timeout_ms: int) -> tuple[ConsenterSupport, BlockStore]:
    genesis = support.make_genesis(crypto)
    context = ChannelContext.from_config(config_from_block(genesis))
    node = NodeConfig(name="orderer0", msp_id="OrdererMSP", role="orderer", crypto_dir=crypto,
                      genesis_block=tmp_path / "genesis.block", data_dir=tmp_path, port=0, trusted_orgs=support.ORGS)
    identity = support.identity(crypto, "OrdererMSP", "orderer0")
    store = BlockStore(tmp_path / "db")
    chain = Chain(store)
    chain.ensure_genesis(genesis.SerializeToString())
    limits = BatchLimits(max_message_count=4, preferred_max_bytes=1024, absolute_max_bytes=2048,
                         batch_timeout_ms=timeout_ms)
    return ConsenterSupport(node, context, limits, identity, chain, BlockWriter(chain, identity)), store


def _envelopes(chain: Chain) -> list[list[bytes]]:
    return [list(chain.block(n).data.envelopes) for n in range(1, chain.height)]


def test_solo_cuts_by_count_then_by_timer(tmp_path: Path, dev_crypto: Path) -> None:
    async def run() -> None:
        sup, store = _support(tmp_path, dev_crypto, timeout_ms=100)
        solo = SoloConsenter(sup)
        assert isinstance(solo, Consenter)
        await solo.start()
        await solo.submit([b"e%d" % i for i in range(6)])
        await sup.chain.wait_for_height(2)
        started = time.monotonic()
        assert _envelopes(sup.chain) == [[b"e0", b"e1", b"e2", b"e3"]]
        await asyncio.wait_for(sup.chain.wait_for_height(3), 5)
        assert time.monotonic() - started >= 0.05  # the partial batch waited for the timer
        assert _envelopes(sup.chain)[1] == [b"e4", b"e5"]
        await solo.stop()
        store.close()

    asyncio.run(run())


def test_solo_stop_writes_what_was_accepted_and_then_refuses(tmp_path: Path, dev_crypto: Path) -> None:
    async def run() -> None:
        sup, store = _support(tmp_path, dev_crypto, timeout_ms=60_000)
        solo = SoloConsenter(sup)
        with pytest.raises(ServiceUnavailable):
            await solo.submit([b"early"])
        await solo.start()
        await solo.submit([b"a"])
        await solo.submit([b"b", b"c"])
        await solo.stop()
        assert _envelopes(sup.chain) == [[b"a", b"b", b"c"]]
        with pytest.raises(ServiceUnavailable, match="not accepting"):
            await solo.submit([b"late"])
        store.close()

    asyncio.run(run())


def test_each_partial_batch_gets_its_own_timer(tmp_path: Path, dev_crypto: Path) -> None:
    async def run() -> None:
        sup, store = _support(tmp_path, dev_crypto, timeout_ms=50)
        solo = SoloConsenter(sup)
        await solo.start()
        await solo.submit([b"1"])
        await asyncio.wait_for(sup.chain.wait_for_height(2), 5)
        await solo.submit([b"2", b"3"])  # after a timer cut, the next envelope starts a new timer
        await asyncio.wait_for(sup.chain.wait_for_height(3), 5)
        await solo.submit([b"4", b"5", b"6", b"7", b"8"])  # a count cut, and "8" left for a fresh timer
        await asyncio.wait_for(sup.chain.wait_for_height(5), 5)
        assert _envelopes(sup.chain) == [[b"1"], [b"2", b"3"], [b"4", b"5", b"6", b"7"], [b"8"]]
        await solo.stop()
        store.close()

    asyncio.run(run())


def test_unknown_consensus_types_are_refused_clearly(tmp_path: Path, dev_crypto: Path) -> None:
    sup, store = _support(tmp_path, dev_crypto, timeout_ms=100)
    try:
        with pytest.raises(UnsupportedConsensus, match="unknown consensus type 'pow'"):
            create_consenter("pow", sup)
        assert isinstance(create_consenter("solo", sup), SoloConsenter)
    finally:
        store.close()


def test_a_block_that_cannot_be_stored_halts_the_orderer(tmp_path: Path, dev_crypto: Path) -> None:
    """Fail-stop (found by chaos disk-full runs): the ordering loop ends on a write error and tells the node to
    halt, instead of leaving an orderer that answers SERVICE_UNAVAILABLE for good."""
    async def run() -> list[str]:
        sup, store = _support(tmp_path, dev_crypto, timeout_ms=100)
        reasons: list[str] = []
        solo = SoloConsenter(dataclasses.replace(sup, halt=reasons.append))
        await solo.start()
        store.close()  # every write from now on fails, as on a full disk
        await solo.submit([b"e%d" % i for i in range(4)])
        for _ in range(100):
            if reasons:
                break
            await asyncio.sleep(0.02)
        with pytest.raises(ServiceUnavailable, match="failed"):
            await solo.submit([b"late"])
        await solo.stop()
        return reasons

    (reason,) = asyncio.run(run())
    assert reason.startswith("solo ordering: ")
