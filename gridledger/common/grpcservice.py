"""Registering a gRPC servicer so that malformed request bytes get INVALID_ARGUMENT with a precise message: the one
way every peer and orderer service (and the raft Cluster service) is registered.

grpcio's generated registration deserializes requests before our code runs and answers undecodable bytes with a
generic INTERNAL error. Here each request type is parsed by a tolerant deserializer that hands a `Malformed`
marker to the wrapper, which refuses it with INVALID_ARGUMENT; for client streams the refusal happens when the
bad message is reached. Methods named in `raw` get the request bytes instead and decode them themselves, where the
answer to bad bytes is part of the protocol (Broadcast, Deliver, Cluster.Step); `serializers` replaces a
method's response serializer (Deliver sends stored block bytes without re-serialising them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Mapping
from typing import Any

import grpc
from google.protobuf.descriptor import ServiceDescriptor
from google.protobuf.message import DecodeError
from google.protobuf.message_factory import GetMessageClass


class Malformed:
    """Stands in for a request that could not be decoded."""

    __slots__ = ("error", "type_name")

    def __init__(self, type_name: str, error: str) -> None:
        self.type_name = type_name
        self.error = error


class MalformedRequest(Exception):
    """Raised inside a handler when a streamed request turns out to be malformed."""


def _parser(message_class):
    name = message_class.DESCRIPTOR.full_name

    def parse(data: bytes):
        try:
            return message_class.FromString(data)
        except (DecodeError, ValueError) as exc:
            return Malformed(name, str(exc) or "undecodable bytes")

    return parse


def _message(request: Malformed) -> str:
    return f"malformed {request.type_name}: {request.error}"


async def checked_stream(requests: AsyncIterator) -> AsyncIterator:
    """Yields decoded requests; raises MalformedRequest at the first malformed one."""
    async for request in requests:
        if isinstance(request, Malformed):
            raise MalformedRequest(_message(request))
        yield request


def _wrap(method, implementation):
    """Adapt the servicer method to refuse Malformed requests (unary) or streams that contain one."""
    streaming_in, streaming_out = method.client_streaming, method.server_streaming

    async def refuse(context, message: str):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, message)

    if not streaming_out:
        async def unary_out(request, context):
            if isinstance(request, Malformed):
                await refuse(context, _message(request))
            try:
                return await implementation(checked_stream(request) if streaming_in else request, context)
            except MalformedRequest as exc:
                await refuse(context, str(exc))
        return unary_out

    async def stream_out(request, context):
        if isinstance(request, Malformed):
            await refuse(context, _message(request))
        try:
            async for response in implementation(checked_stream(request) if streaming_in else request, context):
                yield response
        except MalformedRequest as exc:
            await refuse(context, str(exc))
    return stream_out


_FACTORIES = {
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}


def _raw(data: bytes) -> bytes:
    return data


def service_handler(servicer: object, service: ServiceDescriptor, *, raw: Collection[str] = (),
                    serializers: Mapping[str, Callable[[Any], bytes]] | None = None) -> grpc.GenericRpcHandler:
    """A handler for every method of `service`, implemented by the servicer's method of the same name."""
    handlers = {}
    for method in service.methods:
        factory = _FACTORIES[(method.client_streaming, method.server_streaming)]
        implementation = getattr(servicer, method.name)
        serializer = (serializers or {}).get(method.name, GetMessageClass(method.output_type).SerializeToString)
        if method.name in raw:
            handlers[method.name] = factory(implementation, request_deserializer=_raw,
                                            response_serializer=serializer)
        else:
            handlers[method.name] = factory(_wrap(method, implementation),
                                            request_deserializer=_parser(GetMessageClass(method.input_type)),
                                            response_serializer=serializer)
    return grpc.method_handlers_generic_handler(service.full_name, handlers)


def add_service(server: grpc.aio.Server, servicer: object, service: ServiceDescriptor) -> None:
    """Register every method of `service` implemented by `servicer` (methods named as in the .proto)."""
    server.add_generic_rpc_handlers([service_handler(servicer, service)])
