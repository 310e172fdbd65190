"""Checks that a block was produced by the ordering service: consenter signatures and the hash chain.

How many consenter signatures a block needs depends on the consensus type (docs/design.md, "Validation"): under
crash-fault consensus (solo, raft) one consenter's signature suffices; under BFT a quorum of 2f+1 distinct
consenters must sign. The rule is a small strategy object chosen from the channel config.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.v1 import block_pb2


class BlockVerificationError(Exception):
    """A block that must not be accepted; the message says which check failed."""


def signed_bytes(header: block_pb2.BlockHeader, consenter_metadata: bytes) -> bytes:
    """What an orderer signs for a block: the header hash followed by the consensus metadata."""
    return hashing.header_hash(header) + consenter_metadata


def sign_block(block: block_pb2.Block, identity: msp.SigningIdentity) -> None:
    """Add this orderer's signature to the block's metadata."""
    signature = identity.sign(signed_bytes(block.header, block.metadata.consenter_metadata))
    block.metadata.signatures.add(signer=identity.serialized(), signature=signature)


@dataclass(frozen=True)
class SignatureQuorum:
    """How many distinct consenters must sign each block."""

    required: int

    @classmethod
    def for_channel(cls, context: ChannelContext) -> SignatureQuorum:
        consensus = context.config.consensus
        if consensus.type == "bft":
            return cls(bft_quorum(len(consensus.consenters)))
        return cls(1)


def bft_quorum(consenters: int) -> int:
    """2f+1 of n = 3f+1 (or more) consenters: any two such quorums share an honest consenter."""
    return 2 * ((consenters - 1) // 3) + 1


class BlockVerifier:
    """Verifies blocks for one channel config; keeps the set of consenter certificates at hand."""

    def __init__(self, context: ChannelContext) -> None:
        self._context = context
        self._consenters = {c.identity.certificate: c.id for c in context.config.consensus.consenters}
        self._quorum = SignatureQuorum.for_channel(context)

    def verify_signatures(self, block: block_pb2.Block) -> None:
        message = signed_bytes(block.header, block.metadata.consenter_metadata)
        signers: set[str] = set()
        for signature in block.metadata.signatures:
            consenter = self._consenters.get(signature.signer.certificate)
            if consenter is None or consenter in signers:
                continue
            try:
                member = self._context.msp.validate(signature.signer, roles=("orderer",))
            except msp.IdentityError:
                continue
            if member.verify(message, signature.signature):
                signers.add(consenter)
        if len(signers) < self._quorum.required:
            raise BlockVerificationError(
                f"block {block.header.number}: {len(signers)} valid consenter signature(s), "
                f"{self._quorum.required} required")

    def verify(self, block: block_pb2.Block, expected_number: int, previous_hash: bytes) -> None:
        """Full check of a block that should extend a chain of height `expected_number`."""
        if block.header.number != expected_number:
            raise BlockVerificationError(f"expected block {expected_number}, got {block.header.number}")
        if block.header.previous_hash != previous_hash:
            raise BlockVerificationError(f"block {block.header.number}: previous hash does not match the chain")
        if hashing.data_hash(block.data.envelopes) != block.header.data_hash:
            raise BlockVerificationError(f"block {block.header.number}: data hash does not match its envelopes")
        self.verify_signatures(block)
