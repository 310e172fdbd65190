"""The consenters' keys as the core needs them: sign as this orderer, verify any consenter by id, and translate
between consenter ids (in votes and certificates) and the identities a stored block's signatures name."""

from __future__ import annotations

from gridledger.common import hashing, msp
from gridledger.common.channel import ChannelContext
from gridledger.common.msp import SigningIdentity
from gridledger.v1 import bft_pb2, block_pb2, identity_pb2


class ConsenterKeys:
    """Implements `certs.Keys` with the orderers' Ed25519 signing certificates from the channel config."""

    def __init__(self, context: ChannelContext, identity: SigningIdentity) -> None:
        self._identity = identity
        self._members: dict[str, msp.Member] = {}
        self._identities: dict[str, identity_pb2.SerializedIdentity] = {}
        self._ids: dict[bytes, str] = {}
        for consenter in context.config.consensus.consenters:
            # A consenter whose certificate does not validate (expired, revoked, wrong role) simply cannot sign.
            try:
                self._members[consenter.id] = context.msp.validate(consenter.identity, roles=("orderer",))
            except msp.IdentityError:
                continue
            self._identities[consenter.id] = consenter.identity
            self._ids[consenter.identity.certificate] = consenter.id

    def sign(self, message: bytes) -> bytes:
        return self._identity.sign(message)

    def verify(self, signer: str, message: bytes, signature: bytes) -> bool:
        member = self._members.get(signer)
        return member is not None and member.verify(message, signature)

    def sign_block(self, block: block_pb2.Block, certificate: bft_pb2.BftCertificate) -> None:
        """Put the certificate's signatures on the block as BlockSignatures, which is what peers verify."""
        del block.metadata.signatures[:]
        for entry in certificate.signatures:
            block.metadata.signatures.add(signer=self._identities[entry.signer], signature=entry.signature)

    def certificate_of(self, block: block_pb2.Block, view: int) -> bft_pb2.BftCertificate:
        """The COMMIT certificate a stored block carries (its signatures by consenter id)."""
        if block.header.number == 0:
            return bft_pb2.BftCertificate()
        return bft_pb2.BftCertificate(
            phase=bft_pb2.BFT_COMMIT, view=view, height=block.header.number,
            block_hash=hashing.header_hash(block.header),
            signatures=[bft_pb2.BftSignature(signer=self._ids[s.signer.certificate], signature=s.signature)
                        for s in block.metadata.signatures if s.signer.certificate in self._ids])
