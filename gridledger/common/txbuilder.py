"""Building the messages of one transaction: signed proposals, prepared transactions and signed envelopes.

Clients (SDK, CLI, agents, REST) and the peer's gateway both need these steps, so they live here once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gridledger.common import hashing
from gridledger.common.msp import SigningIdentity
from gridledger.v1 import transaction_pb2

NONCE_BYTES = 24


class EndorsementMismatch(Exception):
    """Endorsers returned different results: the transaction cannot be assembled."""


@dataclass(frozen=True)
class PreparedProposal:
    tx_id: str
    header: bytes       # serialized Header
    invocation: bytes   # serialized ChaincodeInvocation
    signed: transaction_pb2.SignedProposal


def _arg_bytes(arg: bytes | str) -> bytes:
    return arg if isinstance(arg, bytes) else str(arg).encode()


def new_proposal(identity: SigningIdentity, channel_id: str, chaincode: str, function: str,
                 args: Sequence[bytes | str] = (), transient: Mapping[str, bytes] | None = None) -> PreparedProposal:
    """A proposal signed by `identity`, with a fresh nonce and tx_id = SHA-256(nonce || creator)."""
    nonce = os.urandom(NONCE_BYTES)
    tx_id = hashing.tx_id(nonce, identity.certificate)
    header = transaction_pb2.Header(
        type=transaction_pb2.ENDORSER_TRANSACTION, channel_id=channel_id, tx_id=tx_id, timestamp_ns=time.time_ns(),
        creator=identity.serialized(), nonce=nonce,
    ).SerializeToString()
    invocation = transaction_pb2.ChaincodeInvocation(
        chaincode=chaincode, function=function, args=[_arg_bytes(a) for a in args]).SerializeToString()
    proposal = transaction_pb2.Proposal(header=header, invocation=invocation, transient=dict(transient or {}))
    proposal_bytes = proposal.SerializeToString()
    signed = transaction_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=identity.sign(proposal_bytes))
    return PreparedProposal(tx_id, header, invocation, signed)


def transaction_payload(header: bytes, invocation: bytes,
                        responses: Sequence[transaction_pb2.ProposalResponse]) -> bytes:
    """The unsigned transaction payload built from agreeing endorsements (what the creator signs)."""
    if not responses:
        raise EndorsementMismatch("no endorsements")
    payload = responses[0].payload
    for response in responses[1:]:
        if response.payload != payload:
            raise EndorsementMismatch("endorsers returned different results (read/write sets or responses differ); "
                                      "their states may diverge or the chaincode is not deterministic")
    transaction = transaction_pb2.Transaction(invocation=invocation, proposal_response_payload=payload,
                                              endorsements=[r.endorsement for r in responses])
    return transaction_pb2.Payload(header=header, data=transaction.SerializeToString()).SerializeToString()


def sign_payload(identity: SigningIdentity, payload: bytes) -> transaction_pb2.Envelope:
    return transaction_pb2.Envelope(payload=payload, signature=identity.sign(payload))


def endorsement_message(payload: bytes, endorser_certificate: bytes) -> bytes:
    """What an endorser signs: the proposal response payload bound to the endorser's certificate."""
    return payload + endorser_certificate
