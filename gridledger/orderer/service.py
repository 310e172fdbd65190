"""The AtomicBroadcast service of an orderer: Broadcast and Deliver, registered through common/grpcservice.py.

Both take their request as raw bytes, so malformed messages become the protocol's own answers (an INVALID_ARGUMENT
that names the bytes for Broadcast, a BAD_REQUEST status for Deliver) instead of gRPC's generic deserialization
failure, and Deliver sends stored block bytes without re-serialising them.
"""

from __future__ import annotations

import grpc

from gridledger.common.grpcservice import service_handler
from gridledger.orderer.broadcast import BroadcastService
from gridledger.orderer.deliver import DeliverService, serialize_response
from gridledger.v1 import orderer_pb2

SERVICE = orderer_pb2.DESCRIPTOR.services_by_name["AtomicBroadcast"]


class AtomicBroadcastServicer:
    """Names the two halves as the .proto does, for service_handler."""

    def __init__(self, broadcast: BroadcastService, deliver: DeliverService) -> None:
        self.Broadcast = broadcast.broadcast
        self.Deliver = deliver.deliver


def atomic_broadcast_handler(broadcast: BroadcastService, deliver: DeliverService) -> grpc.GenericRpcHandler:
    return service_handler(AtomicBroadcastServicer(broadcast, deliver), SERVICE, raw=("Broadcast", "Deliver"),
                           serializers={"Deliver": serialize_response})
