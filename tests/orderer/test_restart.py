"""Orderer process lifecycle: kill -9 and restart continues the same chain; SIGTERM writes what solo accepted;
startup errors are clear and exit non-zero."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.v1 import block_pb2, orderer_pb2
from tests.orderer import support
from tests.orderer.support import OrdererProcess

pytestmark = pytest.mark.integration
Spawn = Callable[[Path, Path], OrdererProcess]


async def _order(process: OrdererProcess, crypto: Path, count: int, start: int = 0) -> list[block_pb2.Block]:
    """Broadcast `count` envelopes, wait until all are in blocks, return the blocks from `start` on."""
    user = support.identity(crypto, "Org1MSP", "user1")
    envelopes = [support.make_envelope(user, b"restart %d" % i) for i in range(count)]
    async with support.channel_to(process, support.tls(crypto)) as channel:
        responses = await support.broadcast(channel, [envelopes[: count // 2], envelopes[count // 2:]])
        assert all(r.status == orderer_pb2.SUCCESS for response in responses for r in response.results)
        return await support.blocks_until(channel, user, {support.tx_id_of(e.SerializeToString())
                                                          for e in envelopes}, start=start)


async def _chain(process: OrdererProcess, crypto: Path, stop: int) -> list[block_pb2.Block]:
    user = support.identity(crypto, "Org1MSP", "user1")
    async with support.channel_to(process, support.tls(crypto)) as channel:
        replies = await support.deliver(channel, support.seek_request(user, 0, stop))
    assert replies[-1].status == "SUCCESS"
    return [reply.block for reply in replies[:-1]]


def test_kill_and_restart_continues_the_chain(dev_crypto: Path, tmp_path: Path, spawn: Spawn) -> None:
    genesis = support.make_genesis(dev_crypto)
    process = spawn(support.write_node_config(tmp_path, dev_crypto, genesis), tmp_path / "orderer.log")
    process.start()
    before = asyncio.run(_order(process, dev_crypto, 30))
    height = before[-1].header.number + 1
    assert process.stop(signal.SIGKILL) == -signal.SIGKILL

    process.start()
    started = [e for e in process.events() if e.get("event") == "orderer started"]
    assert len(started) == 2 and started[-1]["height"] == height
    assert asyncio.run(_chain(process, dev_crypto, height)) == before
    after = asyncio.run(_order(process, dev_crypto, 12, start=height))
    assert after[0].header.number == height
    blocks = before + after
    verifier = BlockVerifier(ChannelContext.from_config(config_from_block(genesis)))
    for number, block in enumerate(blocks[1:], start=1):
        verifier.verify(block, number, hashing.header_hash(blocks[number - 1].header))
    assert process.stop() == 0, process.log_text()


def test_sigterm_writes_what_was_acknowledged(dev_crypto: Path, tmp_path: Path, spawn: Spawn) -> None:
    """With a batch timeout of a minute, acknowledged envelopes are still pending when SIGTERM arrives."""
    genesis = support.make_genesis(dev_crypto, batch_timeout_ms=60_000)
    process = spawn(support.write_node_config(tmp_path, dev_crypto, genesis), tmp_path / "orderer.log")
    process.start()
    user = support.identity(dev_crypto, "Org1MSP", "user1")
    envelopes = [support.make_envelope(user, b"pending %d" % i) for i in range(3)]

    async def send() -> None:
        async with support.channel_to(process, support.tls(dev_crypto)) as channel:
            [response] = await support.broadcast(channel, [envelopes])
            assert [r.status for r in response.results] == [orderer_pb2.SUCCESS] * 3

    asyncio.run(send())
    assert process.stop() == 0, process.log_text()
    process.start()
    blocks = asyncio.run(_chain(process, dev_crypto, 2))
    assert list(blocks[1].data.envelopes) == [e.SerializeToString() for e in envelopes]
    assert process.stop() == 0


def _run_orderer(config: Path) -> tuple[int, list[dict]]:
    result = subprocess.run([sys.executable, "-m", "gridledger.orderer", "--config", str(config)],
                            capture_output=True, timeout=60, cwd=support.REPO)
    events = [json.loads(line) for line in result.stderr.decode().splitlines() if line.startswith("{")]
    return result.returncode, events


def test_startup_errors_are_clear(dev_crypto: Path, tmp_path: Path) -> None:
    bft = support.write_node_config(tmp_path / "bft", dev_crypto, support.make_genesis(dev_crypto, "bft"))
    code, events = _run_orderer(bft)
    assert code == 1 and "BFT needs 3f+1 consenters (4, 7, 10, ...), got 1" in events[-1]["error"]

    broken = support.write_node_config(tmp_path / "broken", dev_crypto, support.make_genesis(dev_crypto))
    (tmp_path / "broken" / "genesis.block").write_bytes(b"not a block")
    code, events = _run_orderer(broken)
    assert code == 1 and "genesis block" in events[-1]["error"]

    bad_json = tmp_path / "bad.json"
    bad_json.write_text(json.dumps({"name": "orderer0", "role": "orderer"}))
    code, events = _run_orderer(bad_json)
    assert code == 2 and events[-1]["event"] == "invalid node config" and "msp_id" in events[-1]["error"]

    code, events = _run_orderer(tmp_path / "missing.json")
    assert code == 2 and events[-1]["event"] == "cannot read the node config"
