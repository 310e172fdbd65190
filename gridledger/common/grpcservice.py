"""Registering a gRPC servicer so that malformed request bytes get INVALID_ARGUMENT with a precise message.

grpcio's generated registration deserializes requests before our code runs and answers undecodable bytes with a
generic INTERNAL error. Here each request type is parsed by a tolerant deserializer that hands a `Malformed`
marker to the wrapper, which refuses it with INVALID_ARGUMENT; for client streams the refusal happens when the
bad message is reached.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

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


def add_service(server: grpc.aio.Server, servicer: object, service: ServiceDescriptor) -> None:
    """Register every method of `service` implemented by `servicer` (methods named as in the .proto)."""
    handlers = {}
    for method in service.methods:
        request_class = GetMessageClass(method.input_type)
        response_class = GetMessageClass(method.output_type)
        factory = _FACTORIES[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = factory(_wrap(method, getattr(servicer, method.name)),
                                        request_deserializer=_parser(request_class),
                                        response_serializer=response_class.SerializeToString)
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service.full_name, handlers)])
