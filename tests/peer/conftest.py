"""Fixtures for peer unit tests: a real ledger in a temporary folder holding the genesis block of
deploy/networks/raft.yaml, its channel context and the identities of its members, and crypto material for a
three-organisation variant (tests/peer/inmemory.py). No network, no processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gridledger.common import material, msp
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.ops import cryptogen, genesis
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.peer.endorser import Endorser
from gridledger.peer.ledger import Ledger
from gridledger.peer.runtime import ChaincodeRuntime
from gridledger.v1 import block_pb2
from tests.peer.inmemory import three_org_network
from tests.peer.support import member


@pytest.fixture(scope="module")
def genesis_block(raft_crypto: tuple[Path, Path]) -> block_pb2.Block:
    network_file, crypto = raft_crypto
    network = load_network(network_file)
    config = genesis.build_channel_config(network, crypto)
    return genesis.genesis_block(config, material.load_admin(crypto, network.orderer_msp_ids[0]))


@pytest.fixture
def ledger(tmp_path: Path, genesis_block: block_pb2.Block) -> Iterator[Ledger]:
    block = block_pb2.Block()
    block.CopyFrom(genesis_block)
    block.metadata.validation_codes.append(block_pb2.VALID)
    with Ledger(tmp_path / "ledger") as opened:
        opened.commit(block)
        yield opened


@pytest.fixture
def context(genesis_block: block_pb2.Block) -> ChannelContext:
    return ChannelContext.from_config(config_from_block(genesis_block))


@pytest.fixture
def peer(raft_crypto: tuple[Path, Path]) -> msp.SigningIdentity:
    return member(raft_crypto, "Org1MSP", "peer0-org1")


@pytest.fixture
def user(raft_crypto: tuple[Path, Path]) -> msp.SigningIdentity:
    return member(raft_crypto, "Org1MSP", "user1")


@pytest.fixture
def endorser(tmp_path: Path, context: ChannelContext, ledger: Ledger, peer: msp.SigningIdentity) -> Iterator[Endorser]:
    runtime = ChaincodeRuntime(context, ledger, tmp_path / "chaincodes", timeout_s=5)
    yield Endorser(context, ledger, peer, runtime)
    runtime.close()


@pytest.fixture(scope="session")
def three_org_crypto(tmp_path_factory: pytest.TempPathFactory) -> tuple[NetworkDefinition, Path]:
    network = three_org_network()
    out = tmp_path_factory.mktemp("crypto-three-org")
    cryptogen.generate(network, out)
    return network, out
