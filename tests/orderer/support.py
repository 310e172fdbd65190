"""Helpers for the orderer tests: a dev network's genesis and node config, signed envelopes and deliver requests,
an orderer running as a real subprocess, and an AtomicBroadcast client over mutual TLS."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grpc

from gridledger.common import grpcutil, hashing, material
from gridledger.common.material import load_member
from gridledger.common.msp import SigningIdentity
from gridledger.common.nodeconfig import NodeConfig
from gridledger.ops import genesis
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.v1 import block_pb2, orderer_pb2, orderer_pb2_grpc, peer_pb2, transaction_pb2

REPO = Path(__file__).resolve().parents[2]
DEV_NETWORK = REPO / "deploy" / "networks" / "dev.yaml"
CHANNEL = "energy"
ORGS = ["OrdererMSP", "Org1MSP"]

# Small batches so a test of a few dozen envelopes spans several blocks and every cutting rule is exercised.
MAX_MESSAGE_COUNT = 10
PREFERRED_MAX_BYTES = 8 * 1024
ABSOLUTE_MAX_BYTES = 16 * 1024
BATCH_TIMEOUT_MS = 50


def dev_network() -> NetworkDefinition:
    return load_network(DEV_NETWORK)


def make_genesis(crypto: Path, consensus: str = "solo", batch_timeout_ms: int = BATCH_TIMEOUT_MS) -> block_pb2.Block:
    network = dev_network()
    config = genesis.build_channel_config(network, crypto)
    config.consensus.type = consensus
    config.batch.max_message_count = MAX_MESSAGE_COUNT
    config.batch.preferred_max_bytes = PREFERRED_MAX_BYTES
    config.batch.absolute_max_bytes = ABSOLUTE_MAX_BYTES
    config.batch.batch_timeout_ms = batch_timeout_ms
    return genesis.genesis_block(config, material.load_admin(crypto, network.orderer_msp_ids[0]))


def write_node_config(folder: Path, crypto: Path, genesis_block: block_pb2.Block, *, port: int = 0,
                      operations_port: int | None = 0) -> Path:
    """A node config for orderer0 with its genesis file and data dir in `folder`; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    genesis_path = folder / "genesis.block"
    genesis_path.write_bytes(genesis_block.SerializeToString())
    config = NodeConfig(name="orderer0", msp_id="OrdererMSP", role="orderer", crypto_dir=crypto,
                        genesis_block=genesis_path, data_dir=folder / "data", port=port,
                        operations_port=operations_port, trusted_orgs=ORGS)
    path = folder / "orderer0.json"
    config.save(path)
    return path


def identity(crypto: Path, msp_id: str, name: str) -> SigningIdentity:
    return load_member(crypto, msp_id, name, ORGS).identity


def tls(crypto: Path, msp_id: str = "Org1MSP", name: str = "user1") -> grpcutil.TlsMaterial:
    return load_member(crypto, msp_id, name, ORGS).tls


def make_envelope(creator: SigningIdentity, data: bytes, *, channel_id: str = CHANNEL,
                  header_type: int = transaction_pb2.ENDORSER_TRANSACTION,
                  signer: SigningIdentity | None = None, tx_id: str | None = None) -> transaction_pb2.Envelope:
    """A minimal signed transaction envelope (the orderer does not look inside the data)."""
    nonce = os.urandom(24)
    header = transaction_pb2.Header(
        type=header_type, channel_id=channel_id, timestamp_ns=time.time_ns(), creator=creator.serialized(),
        nonce=nonce, tx_id=tx_id if tx_id is not None else hashing.tx_id(nonce, creator.certificate))
    payload = transaction_pb2.Payload(header=header.SerializeToString(), data=data).SerializeToString()
    return transaction_pb2.Envelope(payload=payload, signature=(signer or creator).sign(payload))


def seek_request(requester: SigningIdentity, start: int = 0, stop: int = 0, *, newest: bool = False,
                 channel_id: str = CHANNEL, seek_channel: str | None = None,
                 signer: SigningIdentity | None = None) -> transaction_pb2.Envelope:
    seek = peer_pb2.SeekInfo(channel_id=channel_id if seek_channel is None else seek_channel, start=start,
                             stop=stop, newest=newest)
    header = transaction_pb2.Header(type=transaction_pb2.HEADER_TYPE_UNSPECIFIED, channel_id=channel_id,
                                    timestamp_ns=time.time_ns(), creator=requester.serialized(),
                                    nonce=os.urandom(24))
    payload = transaction_pb2.Payload(header=header.SerializeToString(),
                                      data=seek.SerializeToString()).SerializeToString()
    return transaction_pb2.Envelope(payload=payload, signature=(signer or requester).sign(payload))


def tx_id_of(envelope: bytes) -> str:
    payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(envelope).payload)
    return transaction_pb2.Header.FromString(payload.header).tx_id


@dataclass
class OrdererProcess:
    """`python -m gridledger.orderer --config ...` with its log in a file; knows the ports it reported."""

    config_path: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    operations_port: int | None = None

    def start(self, timeout: float = 30.0) -> OrdererProcess:
        log = self.log_path.open("ab")
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen([sys.executable, "-m", "gridledger.orderer", "--config",
                                         str(self.config_path)], stdout=log, stderr=log, cwd=REPO)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(offset):
                if event.get("event") == "orderer started":
                    self.port, self.operations_port = event["port"], event["operations_port"]
                    return self
            if self.process.poll() is not None:
                raise RuntimeError(f"the orderer exited with {self.process.returncode}:\n{self.log_text()}")
            time.sleep(0.05)
        self.kill()
        raise TimeoutError(f"the orderer did not start in {timeout}s:\n{self.log_text()}")

    def events(self, offset: int = 0) -> list[dict]:
        events = []
        for line in self.log_path.read_bytes()[offset:].decode(errors="replace").splitlines():
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
        return events

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """Make sure the process is gone (teardown after a failed test)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def channel_to(orderer: OrdererProcess, client_tls: grpcutil.TlsMaterial) -> grpc.aio.Channel:
    return grpcutil.aio_channel(orderer.address, client_tls)


async def broadcast(ch: grpc.aio.Channel, batches: Iterable[Iterable[transaction_pb2.Envelope]],
                    timeout: float = 20.0) -> list[orderer_pb2.BroadcastResponse]:
    """Send every batch on one Broadcast stream (all at once, as a fast client would) and collect the answers."""
    stub = orderer_pb2_grpc.AtomicBroadcastStub(ch)
    requests = [orderer_pb2.EnvelopeBatch(envelopes=list(batch)) for batch in batches]
    call = stub.Broadcast(iter(requests), timeout=timeout)
    return [response async for response in call]


async def deliver(ch: grpc.aio.Channel, request: transaction_pb2.Envelope,
                  timeout: float = 20.0) -> list[peer_pb2.DeliverResponse]:
    stub = orderer_pb2_grpc.AtomicBroadcastStub(ch)
    return [response async for response in stub.Deliver(request, timeout=timeout)]


async def blocks_until(ch: grpc.aio.Channel, reader: SigningIdentity, tx_ids: set[str], start: int = 0,
                       timeout: float = 20.0) -> list[block_pb2.Block]:
    """Stream blocks from `start` until every tx id in `tx_ids` has been seen; return the blocks."""
    stub = orderer_pb2_grpc.AtomicBroadcastStub(ch)
    missing = set(tx_ids)
    blocks: list[block_pb2.Block] = []
    call = stub.Deliver(seek_request(reader, start), timeout=timeout)
    async for response in call:
        assert response.WhichOneof("kind") == "block", response
        blocks.append(response.block)
        if response.block.header.number > 0:
            missing -= {tx_id_of(e) for e in response.block.data.envelopes}
        if not missing:
            call.cancel()
            break
    return blocks
