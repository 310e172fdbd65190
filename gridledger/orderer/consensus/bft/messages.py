"""The BFT payloads of ClusterMessage and a structural check of each received one, before the core sees it.

Signatures and quorums are checked by the core (certs.py); this keeps malformed bytes from a consenter from
reaching it at all, with a precise INVALID_ARGUMENT for the sender.
"""

from __future__ import annotations

from gridledger.orderer.consensus.bft.core import MESSAGE_TYPES, Message
from gridledger.orderer.consensus.transport import BadPayload, parse_payload

PAYLOAD_TYPES = {cls.DESCRIPTOR.full_name: cls for cls in MESSAGE_TYPES}
MAX_SIGNATURES = 1024  # far above any committee this runs; a certificate with more is garbage


def decode(kind: str, payload: bytes) -> Message:
    message = parse_payload(kind, payload, PAYLOAD_TYPES)
    certificates = []
    if hasattr(message, "justify"):
        certificates.append(message.justify)
    if hasattr(message, "high"):
        certificates.append(message.high)
    if kind == "gridledger.v1.BftCertificate":
        certificates.append(message)
    for certificate in certificates:
        if len(certificate.signatures) > MAX_SIGNATURES:
            raise BadPayload(f"certificate with {len(certificate.signatures)} signatures")
    timeouts = getattr(message, "timeouts", None)
    if timeouts is None and hasattr(message, "tc"):
        timeouts = message.tc.timeouts
    if timeouts is not None and len(timeouts) > MAX_SIGNATURES:
        raise BadPayload(f"timeout certificate with {len(timeouts)} timeouts")
    return message  # type: ignore[return-value]
