from gridledger.v1 import transaction_pb2 as _transaction_pb2
from gridledger.v1 import peer_pb2 as _peer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BroadcastStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BROADCAST_STATUS_UNSPECIFIED: _ClassVar[BroadcastStatus]
    SUCCESS: _ClassVar[BroadcastStatus]
    BAD_REQUEST: _ClassVar[BroadcastStatus]
    FORBIDDEN: _ClassVar[BroadcastStatus]
    SERVICE_UNAVAILABLE: _ClassVar[BroadcastStatus]
    REQUEST_ENTITY_TOO_LARGE: _ClassVar[BroadcastStatus]
BROADCAST_STATUS_UNSPECIFIED: BroadcastStatus
SUCCESS: BroadcastStatus
BAD_REQUEST: BroadcastStatus
FORBIDDEN: BroadcastStatus
SERVICE_UNAVAILABLE: BroadcastStatus
REQUEST_ENTITY_TOO_LARGE: BroadcastStatus

class EnvelopeBatch(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedCompositeFieldContainer[_transaction_pb2.Envelope]
    def __init__(self, envelopes: _Optional[_Iterable[_Union[_transaction_pb2.Envelope, _Mapping]]] = ...) -> None: ...

class BroadcastResult(_message.Message):
    __slots__ = ("status", "info")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    status: BroadcastStatus
    info: str
    def __init__(self, status: _Optional[_Union[BroadcastStatus, str]] = ..., info: _Optional[str] = ...) -> None: ...

class BroadcastResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BroadcastResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BroadcastResult, _Mapping]]] = ...) -> None: ...

class ClusterMessage(_message.Message):
    __slots__ = ("channel_id", "sender_id", "kind", "payload")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SENDER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    sender_id: str
    kind: str
    payload: bytes
    def __init__(self, channel_id: _Optional[str] = ..., sender_id: _Optional[str] = ..., kind: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class ClusterAck(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
