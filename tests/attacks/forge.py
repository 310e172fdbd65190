"""Building the bad inputs of the attack matrix with the project's own builders (common/txbuilder.py,
common/seek.py): a `Forgery` says who signs, for which channel, whether the signature is tampered with and over
which transport it travels; the functions here turn it into the message each entry point takes.

Every forged transaction writes a key under FORGED_PREFIX, so a sweep of the ledger can prove none was committed.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, replace

import grpc

from gridledger.common import msp, txbuilder
from gridledger.common.grpcutil import TlsMaterial, aio_channel
from gridledger.common.seek import seek_envelope
from gridledger.v1 import peer_pb2, transaction_pb2
from tests.attacks.hostile import CHANNEL, Attackers

FORGED_PREFIX = "attack/"
OTHER_CHANNEL = "elsewhere"


class Attack(enum.Enum):
    FOREIGN_CA = "foreign CA"
    EXPIRED = "expired certificate"
    REVOKED = "revoked certificate"
    WRONG_ROLE = "wrong role"
    WRONG_ORG = "wrong organisation"
    TAMPERED = "tampered signature"
    REPLAYED = "replayed txid"
    OTHER_CHANNEL = "built for another channel"
    NO_TLS = "no TLS"
    FOREIGN_TLS = "TLS from another CA"


class Transport(enum.Enum):
    MTLS = "mutual TLS as user1"
    PLAINTEXT = "plaintext"
    FOREIGN_TLS = "TLS with a certificate of an untrusted CA"


@dataclass(frozen=True)
class Forgery:
    identity: msp.SigningIdentity
    channel: str = CHANNEL
    tampered: bool = False
    transport: Transport = Transport.MTLS


def forgery(attackers: Attackers, attack: Attack, role: str) -> Forgery:
    """The forgery for a signed-message attack at an entry point that accepts `role` (client or admin): the
    forged certificates carry that role, so only what the attack changes can be the reason for a refusal."""
    legitimate = Forgery(attackers.admin.identity if role == "admin" else attackers.user.identity)
    if attack is Attack.FOREIGN_CA:
        return Forgery(attackers.foreign_ca.identity(role))
    if attack is Attack.EXPIRED:
        return Forgery(attackers.expired.identity(role))
    if attack is Attack.REVOKED:
        return Forgery(attackers.revoked.identity(role))
    if attack is Attack.WRONG_ROLE:  # a client at the Admin service, an orderer where clients act
        return Forgery(attackers.user.identity if role == "admin" else attackers.orderer.identity)
    if attack is Attack.WRONG_ORG:  # a real admin of another org; a real client claiming another org
        return Forgery(attackers.orderer_admin.identity if role == "admin" else attackers.wrong_org)
    if attack is Attack.TAMPERED:
        return replace(legitimate, tampered=True)
    if attack is Attack.OTHER_CHANNEL:
        return replace(legitimate, channel=OTHER_CHANNEL)
    if attack is Attack.NO_TLS:
        return replace(legitimate, transport=Transport.PLAINTEXT)
    if attack is Attack.FOREIGN_TLS:
        return replace(legitimate, transport=Transport.FOREIGN_TLS)
    raise ValueError(f"{attack.value} is not a signed-message forgery")


def open_channel(address: str, transport: Transport, attackers: Attackers,
                 tls: TlsMaterial | None = None) -> grpc.aio.Channel:
    """A channel over `transport`; `tls` replaces user1's TLS identity for mutual TLS."""
    if transport is Transport.PLAINTEXT:
        return grpc.aio.insecure_channel(address)
    if transport is Transport.FOREIGN_TLS:
        return aio_channel(address, attackers.foreign_tls)
    return aio_channel(address, tls or attackers.user.tls)


def _signature(forged: Forgery, data: bytes) -> bytes:
    signature = forged.identity.sign(data)
    return bytes([signature[0] ^ 0x01]) + signature[1:] if forged.tampered else signature


def proposal(forged: Forgery) -> transaction_pb2.SignedProposal:
    """A kv put of a fresh key under FORGED_PREFIX, signed as `forged` says."""
    key = FORGED_PREFIX + os.urandom(8).hex()
    prepared = txbuilder.new_proposal(forged.identity, forged.channel, "kv", "put", [key, "forged"])
    signed = prepared.signed
    return transaction_pb2.SignedProposal(proposal_bytes=signed.proposal_bytes,
                                          signature=_signature(forged, signed.proposal_bytes))


def envelope(forged: Forgery) -> transaction_pb2.Envelope:
    """A transaction envelope around a forged proposal's header and invocation, signed as `forged` says (the
    orderer checks the header, creator and signature; nothing endorsed it, so no peer could accept it either)."""
    signed = proposal(forged)
    inner = transaction_pb2.Proposal.FromString(signed.proposal_bytes)
    payload = transaction_pb2.Payload(
        header=inner.header, data=transaction_pb2.Transaction(invocation=inner.invocation).SerializeToString())
    data = payload.SerializeToString()
    return transaction_pb2.Envelope(payload=data, signature=_signature(forged, data))


def seek(forged: Forgery) -> transaction_pb2.Envelope:
    """A deliver request for block 0 only."""
    request = seek_envelope(forged.identity, forged.channel, 0, stop=1)
    return transaction_pb2.Envelope(payload=request.payload, signature=_signature(forged, request.payload))


def admin_request(forged: Forgery) -> transaction_pb2.Envelope:
    """An Admin service request (channel info), as sdk/transport.py builds one, signed as `forged` says."""
    header = transaction_pb2.Header(channel_id=forged.channel, creator=forged.identity.serialized())
    request = peer_pb2.AdminRequest(channel_info=peer_pb2.ChannelInfoRequest(channel_id=forged.channel))
    data = transaction_pb2.Payload(header=header.SerializeToString(),
                                   data=request.SerializeToString()).SerializeToString()
    return transaction_pb2.Envelope(payload=data, signature=_signature(forged, data))
