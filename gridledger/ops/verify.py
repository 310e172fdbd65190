"""`ledger verify`: every peer's chain is intact (hash chain, data hashes, orderer signatures), all peers hold the
same blocks, and all peers report the same state hash at the same height.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerificationError, BlockVerifier
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.ops.deploy import NetworkClients, PeerRef, peers_of


@dataclass
class VerifyReport:
    heights: dict[str, int] = field(default_factory=dict)
    state_hashes: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


async def _chain_of(clients: NetworkClients, peer: PeerRef, height: int, report: VerifyReport) -> list[bytes]:
    """Header hashes of blocks [0, height) after checking the chain; problems go into the report."""
    hashes: list[bytes] = []
    verifier = None
    async with clients.connect(peer) as client:
        async for block in client.blocks(0, stop=height):
            number = block.header.number
            if number == 0:
                verifier = BlockVerifier(ChannelContext.from_config(config_from_block(block)))
            elif verifier is None:
                report.problems.append(f"{peer.name}: chain does not start with a genesis block")
                break
            else:
                try:
                    verifier.verify(block, len(hashes), hashes[-1])
                except BlockVerificationError as exc:
                    report.problems.append(f"{peer.name}: {exc}")
                    break
            hashes.append(hashing.header_hash(block.header))
    return hashes


async def verify_network(clients: NetworkClients, settle_seconds: float = 15.0) -> VerifyReport:
    report = VerifyReport()
    peers = peers_of(clients.network)
    infos = {}
    deadline = asyncio.get_running_loop().time() + settle_seconds
    while True:  # peers may still be committing the last block: wait briefly for equal heights
        for peer in peers:
            async with clients.connect(peer) as client:
                infos[peer.name] = await client.channel_info()
        if len({i.height for i in infos.values()}) == 1 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.2)
    report.heights = {name: info.height for name, info in infos.items()}
    report.state_hashes = {name: info.state_hash.hex() for name, info in infos.items()}
    if len(set(report.heights.values())) > 1:
        report.problems.append(f"peers are at different heights: {report.heights}")
    elif len(set(report.state_hashes.values())) > 1:
        report.problems.append(f"state hashes differ at height {next(iter(report.heights.values()))}: "
                               f"{report.state_hashes}")
    chains = {peer.name: await _chain_of(clients, peer, infos[peer.name].height, report) for peer in peers}
    reference_name, reference = next(iter(chains.items()))
    for name, chain in chains.items():
        for number, (mine, theirs) in enumerate(zip(chain, reference, strict=False)):
            if mine != theirs:
                report.problems.append(f"fork: block {number} differs between {reference_name} and {name}")
                break
    return report
