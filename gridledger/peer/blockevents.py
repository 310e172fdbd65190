"""Chaincode events of a committed transaction, read from its envelope (for event streams and the SDK)."""

from __future__ import annotations

from google.protobuf.message import DecodeError

from gridledger.v1 import transaction_pb2


def events_of(envelope_bytes: bytes) -> list[transaction_pb2.ChaincodeEvent]:
    try:
        payload = transaction_pb2.Payload.FromString(transaction_pb2.Envelope.FromString(envelope_bytes).payload)
        transaction = transaction_pb2.Transaction.FromString(payload.data)
        response = transaction_pb2.ProposalResponsePayload.FromString(transaction.proposal_response_payload)
    except DecodeError:
        return []
    return list(response.events)
