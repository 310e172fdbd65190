"""Offline signing, as in Fabric: whoever holds the key signs two byte strings, and someone else (the REST service,
or any program with a Gateway) does everything else.

    1. unsigned_proposal(...)      -> tx_id, proposal bytes              (prepared without the key)
    2. signer signs the proposal bytes                                   (Ed25519 over the bytes as they are)
    3. Network.endorse_signed(signed_proposal(bytes, signature)) -> EndorseResponse.prepared_payload
    4. signer signs the prepared payload
    5. Network.submit_signed(envelope(payload, signature), tx_id)       -> commit status
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from gridledger.common import msp, txbuilder
from gridledger.v1 import transaction_pb2


class _SignLater:
    """Stands in for a key the caller does not have: the proposal is built now and signed by its owner."""

    def sign(self, message: bytes) -> bytes:
        return b""


@dataclass(frozen=True)
class UnsignedProposal:
    tx_id: str
    proposal_bytes: bytes  # what the creator signs


def unsigned_proposal(msp_id: str, certificate_der: bytes, channel_id: str, chaincode: str, function: str,
                      args: Sequence[bytes | str] = (),
                      transient: Mapping[str, bytes] | None = None) -> UnsignedProposal:
    """A proposal whose creator is the given certificate, ready for its owner to sign."""
    creator = msp.SigningIdentity(msp_id, certificate_der, _SignLater())  # type: ignore[arg-type]
    prepared = txbuilder.new_proposal(creator, channel_id, chaincode, function, args, transient)
    return UnsignedProposal(prepared.tx_id, prepared.signed.proposal_bytes)


def signed_proposal(proposal_bytes: bytes, signature: bytes) -> transaction_pb2.SignedProposal:
    return transaction_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=signature)


def envelope(payload: bytes, signature: bytes) -> transaction_pb2.Envelope:
    return transaction_pb2.Envelope(payload=payload, signature=signature)


def sign(private_key_pem: bytes, message: bytes, password: bytes | None = None) -> bytes:
    """What a client that keeps its own key does in steps 2 and 4 (an Ed25519 signature over the bytes)."""
    key = serialization.load_pem_private_key(private_key_pem, password=password)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise ValueError("signing keys are Ed25519")
    return key.sign(message)
