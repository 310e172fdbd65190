"""Registers the AtomicBroadcast service on a gRPC server with our own (de)serializers.

Requests reach the handlers as raw bytes, so malformed messages become precise statuses instead of gRPC's generic
deserialization failure, and Deliver can send stored block bytes without re-serialising them.
"""

from __future__ import annotations

import grpc

from gridledger.orderer.broadcast import BroadcastService
from gridledger.orderer.deliver import DeliverService, serialize_response
from gridledger.v1 import orderer_pb2

SERVICE_NAME = "gridledger.v1.AtomicBroadcast"


def _raw(data: bytes) -> bytes:
    return data


def atomic_broadcast_handler(broadcast: BroadcastService, deliver: DeliverService) -> grpc.GenericRpcHandler:
    return grpc.method_handlers_generic_handler(SERVICE_NAME, {
        "Broadcast": grpc.stream_stream_rpc_method_handler(
            broadcast.broadcast, request_deserializer=_raw,
            response_serializer=orderer_pb2.BroadcastResponse.SerializeToString),
        "Deliver": grpc.unary_stream_rpc_method_handler(
            deliver.deliver, request_deserializer=_raw, response_serializer=serialize_response),
    })
