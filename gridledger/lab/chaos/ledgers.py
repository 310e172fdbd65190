"""Reading every node's chain back after a schedule: blocks from each peer (PeerDeliver) and each orderer
(AtomicBroadcast Deliver), reduced to what the checker compares: header hash, and the txids with their validation
codes (peers only: an orderer's blocks carry no codes).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import grpc

from gridledger.common import grpcutil, hashing
from gridledger.common.envelope import open_stored
from gridledger.common.material import ADMIN, load_member
from gridledger.common.seek import seek_envelope
from gridledger.ops.deploy import NetworkClients, PeerRef, peers_of
from gridledger.sdk.events import code_name
from gridledger.v1 import block_pb2, orderer_pb2_grpc

READ_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class BlockSummary:
    number: int
    header_hash: str
    txs: tuple[tuple[str, str], ...]  # (txid, validation code name; "" on an orderer)


def summarize(block: block_pb2.Block) -> BlockSummary:
    codes = list(block.metadata.validation_codes)
    txs = []
    for index, raw in enumerate(block.data.envelopes):
        try:
            tx_id = open_stored(raw).header.tx_id
        except Exception:  # a block is read as stored; an unreadable envelope still counts as a position
            tx_id = ""
        txs.append((tx_id, code_name(codes[index]) if index < len(codes) else ""))
    return BlockSummary(block.header.number, hashing.header_hash(block.header).hex(), tuple(txs))


async def peer_chain(clients: NetworkClients, peer: PeerRef, start: int = 0) -> list[BlockSummary]:
    """The peer's blocks from `start` to its current height."""
    async with clients.connect(peer) as client:
        height = (await client.channel_info(timeout=READ_TIMEOUT_S)).height
        if height <= start:
            return []
        return [summarize(block) async for block in client.blocks(start, stop=height, timeout=READ_TIMEOUT_S)]


async def state_hashes(clients: NetworkClients) -> dict[str, tuple[int, str]]:
    """Each peer's (height, state hash), as `ledger verify` reads them."""
    async def one(peer: PeerRef) -> tuple[int, str]:
        async with clients.connect(peer) as client:
            info = await client.channel_info(timeout=READ_TIMEOUT_S)
            return info.height, info.state_hash.hex()

    peers = peers_of(clients.network)
    return dict(zip((peer.name for peer in peers), await asyncio.gather(*(one(peer) for peer in peers)),
                    strict=True))


async def orderer_chain(clients: NetworkClients, address: str, start: int, stop: int) -> list[BlockSummary]:
    """An orderer's blocks [start, stop), or fewer if it holds fewer (it answers with a status when it cannot
    serve, which ends the read)."""
    if stop <= start:
        return []
    first_org = clients.network.peer_msp_ids[0]
    material = load_member(clients.crypto_dir, first_org, ADMIN, clients.network.msp_ids)
    request = seek_envelope(material.identity, clients.network.channel, start, stop=stop)
    blocks: list[BlockSummary] = []
    async with grpcutil.aio_channel(address, material.tls) as channel:
        call = orderer_pb2_grpc.AtomicBroadcastStub(channel).Deliver(request, timeout=READ_TIMEOUT_S)
        try:
            async for response in call:
                if response.WhichOneof("kind") != "block":
                    break
                blocks.append(summarize(response.block))
                if response.block.header.number + 1 >= stop:
                    break
        except grpc.aio.AioRpcError:
            pass  # what arrived is what this orderer could serve; the checker compares that
        finally:
            call.cancel()
    return blocks


async def read_chains(clients: NetworkClients, start: int = 0) -> dict[str, list[BlockSummary]]:
    """Every node's blocks from `start`: peers to their height, orderers up to the highest peer's."""
    peers = peers_of(clients.network)
    peer_chains = await asyncio.gather(*(peer_chain(clients, peer, start) for peer in peers))
    chains = {peer.name: chain for peer, chain in zip(peers, peer_chains, strict=True)}
    stop = max((start + len(chain) for chain in chains.values()), default=start)
    orderers = [node for _, node in clients.network.orderer_nodes()]
    orderer_chains = await asyncio.gather(*(orderer_chain(clients, f"127.0.0.1:{node.port}", start, stop)
                                            for node in orderers))
    chains.update({node.name: chain for node, chain in zip(orderers, orderer_chains, strict=True)})
    return chains
