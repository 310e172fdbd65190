"""Chaincode events of a committed transaction, read from its envelope (for event streams and the SDK)."""

from __future__ import annotations

from gridledger.common.envelope import EnvelopeError, open_stored, response_of, transaction_of
from gridledger.v1 import transaction_pb2


def events_of(envelope_bytes: bytes) -> list[transaction_pb2.ChaincodeEvent]:
    try:
        return list(response_of(transaction_of(open_stored(envelope_bytes).payload)).events)
    except EnvelopeError:
        return []
