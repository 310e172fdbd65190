"""The BFT payloads of ClusterMessage and a structural check of each received one, before the core sees it.

Signatures and quorums are checked by the core (certs.py); this keeps malformed bytes and absurd sizes from a
consenter away from it, with a precise INVALID_ARGUMENT for the sender.
"""

from __future__ import annotations

from gridledger.orderer.consensus.bft.core import MESSAGE_TYPES, Message
from gridledger.orderer.consensus.transport import BadPayload, parse_payload
from gridledger.v1 import bft_pb2

PAYLOAD_TYPES = {cls.DESCRIPTOR.full_name: cls for cls in MESSAGE_TYPES}
MAX_SIGNATURES = 1024  # far above any committee this runs; a certificate with more is garbage


def decode(kind: str, payload: bytes) -> Message:
    message = parse_payload(kind, payload, PAYLOAD_TYPES)
    certificates: list[bft_pb2.BftCertificate] = []
    tcs: list[bft_pb2.BftTimeoutCertificate] = []
    if isinstance(message, bft_pb2.BftProposal):
        certificates.append(message.justify)
        tcs.append(message.tc)
    elif isinstance(message, bft_pb2.BftTimeout):
        certificates.append(message.high)
    elif isinstance(message, bft_pb2.BftCertificate):
        certificates.append(message)
    elif isinstance(message, bft_pb2.BftTimeoutCertificate):
        tcs.append(message)
    for certificate in certificates:
        if len(certificate.signatures) > MAX_SIGNATURES:
            raise BadPayload(f"certificate with {len(certificate.signatures)} signatures")
    for tc in tcs:
        if len(tc.timeouts) > MAX_SIGNATURES:
            raise BadPayload(f"timeout certificate with {len(tc.timeouts)} timeouts")
    return message  # type: ignore[return-value]
