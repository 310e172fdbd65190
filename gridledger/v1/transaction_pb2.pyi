from gridledger.v1 import identity_pb2 as _identity_pb2
from gridledger.v1 import rwset_pb2 as _rwset_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HeaderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HEADER_TYPE_UNSPECIFIED: _ClassVar[HeaderType]
    ENDORSER_TRANSACTION: _ClassVar[HeaderType]
    CONFIG: _ClassVar[HeaderType]
HEADER_TYPE_UNSPECIFIED: HeaderType
ENDORSER_TRANSACTION: HeaderType
CONFIG: HeaderType

class Header(_message.Message):
    __slots__ = ("type", "channel_id", "tx_id", "timestamp_ns", "creator", "nonce")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_NS_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    type: HeaderType
    channel_id: str
    tx_id: str
    timestamp_ns: int
    creator: _identity_pb2.SerializedIdentity
    nonce: bytes
    def __init__(self, type: _Optional[_Union[HeaderType, str]] = ..., channel_id: _Optional[str] = ..., tx_id: _Optional[str] = ..., timestamp_ns: _Optional[int] = ..., creator: _Optional[_Union[_identity_pb2.SerializedIdentity, _Mapping]] = ..., nonce: _Optional[bytes] = ...) -> None: ...

class ChaincodeInvocation(_message.Message):
    __slots__ = ("chaincode", "function", "args")
    CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    chaincode: str
    function: str
    args: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, chaincode: _Optional[str] = ..., function: _Optional[str] = ..., args: _Optional[_Iterable[bytes]] = ...) -> None: ...

class Proposal(_message.Message):
    __slots__ = ("header", "invocation", "transient")
    class TransientEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    HEADER_FIELD_NUMBER: _ClassVar[int]
    INVOCATION_FIELD_NUMBER: _ClassVar[int]
    TRANSIENT_FIELD_NUMBER: _ClassVar[int]
    header: bytes
    invocation: bytes
    transient: _containers.ScalarMap[str, bytes]
    def __init__(self, header: _Optional[bytes] = ..., invocation: _Optional[bytes] = ..., transient: _Optional[_Mapping[str, bytes]] = ...) -> None: ...

class SignedProposal(_message.Message):
    __slots__ = ("proposal_bytes", "signature")
    PROPOSAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    proposal_bytes: bytes
    signature: bytes
    def __init__(self, proposal_bytes: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("status", "message", "payload")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    status: int
    message: str
    payload: bytes
    def __init__(self, status: _Optional[int] = ..., message: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class ChaincodeEvent(_message.Message):
    __slots__ = ("chaincode", "tx_id", "name", "payload")
    CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    chaincode: str
    tx_id: str
    name: str
    payload: bytes
    def __init__(self, chaincode: _Optional[str] = ..., tx_id: _Optional[str] = ..., name: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class ChaincodeRef(_message.Message):
    __slots__ = ("name", "version", "sequence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    sequence: int
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., sequence: _Optional[int] = ...) -> None: ...

class ProposalResponsePayload(_message.Message):
    __slots__ = ("proposal_hash", "chaincode", "results", "events", "response")
    PROPOSAL_HASH_FIELD_NUMBER: _ClassVar[int]
    CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    proposal_hash: bytes
    chaincode: ChaincodeRef
    results: _rwset_pb2.TxReadWriteSet
    events: _containers.RepeatedCompositeFieldContainer[ChaincodeEvent]
    response: Response
    def __init__(self, proposal_hash: _Optional[bytes] = ..., chaincode: _Optional[_Union[ChaincodeRef, _Mapping]] = ..., results: _Optional[_Union[_rwset_pb2.TxReadWriteSet, _Mapping]] = ..., events: _Optional[_Iterable[_Union[ChaincodeEvent, _Mapping]]] = ..., response: _Optional[_Union[Response, _Mapping]] = ...) -> None: ...

class Endorsement(_message.Message):
    __slots__ = ("endorser", "signature")
    ENDORSER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    endorser: _identity_pb2.SerializedIdentity
    signature: bytes
    def __init__(self, endorser: _Optional[_Union[_identity_pb2.SerializedIdentity, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class ProposalResponse(_message.Message):
    __slots__ = ("response", "payload", "endorsement")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    ENDORSEMENT_FIELD_NUMBER: _ClassVar[int]
    response: Response
    payload: bytes
    endorsement: Endorsement
    def __init__(self, response: _Optional[_Union[Response, _Mapping]] = ..., payload: _Optional[bytes] = ..., endorsement: _Optional[_Union[Endorsement, _Mapping]] = ...) -> None: ...

class Transaction(_message.Message):
    __slots__ = ("invocation", "proposal_response_payload", "endorsements")
    INVOCATION_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_RESPONSE_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    ENDORSEMENTS_FIELD_NUMBER: _ClassVar[int]
    invocation: bytes
    proposal_response_payload: bytes
    endorsements: _containers.RepeatedCompositeFieldContainer[Endorsement]
    def __init__(self, invocation: _Optional[bytes] = ..., proposal_response_payload: _Optional[bytes] = ..., endorsements: _Optional[_Iterable[_Union[Endorsement, _Mapping]]] = ...) -> None: ...

class Payload(_message.Message):
    __slots__ = ("header", "data")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    header: bytes
    data: bytes
    def __init__(self, header: _Optional[bytes] = ..., data: _Optional[bytes] = ...) -> None: ...

class Envelope(_message.Message):
    __slots__ = ("payload", "signature")
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    payload: bytes
    signature: bytes
    def __init__(self, payload: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...
