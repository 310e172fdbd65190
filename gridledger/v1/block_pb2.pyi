from gridledger.v1 import identity_pb2 as _identity_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValidationCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NOT_VALIDATED: _ClassVar[ValidationCode]
    VALID: _ClassVar[ValidationCode]
    BAD_SIGNATURE: _ClassVar[ValidationCode]
    BAD_CREATOR: _ClassVar[ValidationCode]
    ENDORSEMENT_POLICY_FAILURE: _ClassVar[ValidationCode]
    MVCC_READ_CONFLICT: _ClassVar[ValidationCode]
    PHANTOM_READ_CONFLICT: _ClassVar[ValidationCode]
    DUPLICATE_TXID: _ClassVar[ValidationCode]
    BAD_PAYLOAD: _ClassVar[ValidationCode]
    EXPIRED_CHAINCODE: _ClassVar[ValidationCode]
    ILLEGAL_WRITESET: _ClassVar[ValidationCode]
NOT_VALIDATED: ValidationCode
VALID: ValidationCode
BAD_SIGNATURE: ValidationCode
BAD_CREATOR: ValidationCode
ENDORSEMENT_POLICY_FAILURE: ValidationCode
MVCC_READ_CONFLICT: ValidationCode
PHANTOM_READ_CONFLICT: ValidationCode
DUPLICATE_TXID: ValidationCode
BAD_PAYLOAD: ValidationCode
EXPIRED_CHAINCODE: ValidationCode
ILLEGAL_WRITESET: ValidationCode

class BlockHeader(_message.Message):
    __slots__ = ("number", "previous_hash", "data_hash")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_HASH_FIELD_NUMBER: _ClassVar[int]
    DATA_HASH_FIELD_NUMBER: _ClassVar[int]
    number: int
    previous_hash: bytes
    data_hash: bytes
    def __init__(self, number: _Optional[int] = ..., previous_hash: _Optional[bytes] = ..., data_hash: _Optional[bytes] = ...) -> None: ...

class BlockData(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, envelopes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class BlockSignature(_message.Message):
    __slots__ = ("signer", "signature")
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signer: _identity_pb2.SerializedIdentity
    signature: bytes
    def __init__(self, signer: _Optional[_Union[_identity_pb2.SerializedIdentity, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BlockMetadata(_message.Message):
    __slots__ = ("signatures", "consenter_metadata", "validation_codes", "last_config")
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    CONSENTER_METADATA_FIELD_NUMBER: _ClassVar[int]
    VALIDATION_CODES_FIELD_NUMBER: _ClassVar[int]
    LAST_CONFIG_FIELD_NUMBER: _ClassVar[int]
    signatures: _containers.RepeatedCompositeFieldContainer[BlockSignature]
    consenter_metadata: bytes
    validation_codes: _containers.RepeatedScalarFieldContainer[ValidationCode]
    last_config: int
    def __init__(self, signatures: _Optional[_Iterable[_Union[BlockSignature, _Mapping]]] = ..., consenter_metadata: _Optional[bytes] = ..., validation_codes: _Optional[_Iterable[_Union[ValidationCode, str]]] = ..., last_config: _Optional[int] = ...) -> None: ...

class Block(_message.Message):
    __slots__ = ("header", "data", "metadata")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    header: BlockHeader
    data: BlockData
    metadata: BlockMetadata
    def __init__(self, header: _Optional[_Union[BlockHeader, _Mapping]] = ..., data: _Optional[_Union[BlockData, _Mapping]] = ..., metadata: _Optional[_Union[BlockMetadata, _Mapping]] = ...) -> None: ...
