from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Version(_message.Message):
    __slots__ = ("block_num", "tx_num")
    BLOCK_NUM_FIELD_NUMBER: _ClassVar[int]
    TX_NUM_FIELD_NUMBER: _ClassVar[int]
    block_num: int
    tx_num: int
    def __init__(self, block_num: _Optional[int] = ..., tx_num: _Optional[int] = ...) -> None: ...

class KVRead(_message.Message):
    __slots__ = ("key", "version")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    key: str
    version: Version
    def __init__(self, key: _Optional[str] = ..., version: _Optional[_Union[Version, _Mapping]] = ...) -> None: ...

class KVWrite(_message.Message):
    __slots__ = ("key", "is_delete", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    IS_DELETE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    is_delete: bool
    value: bytes
    def __init__(self, key: _Optional[str] = ..., is_delete: _Optional[bool] = ..., value: _Optional[bytes] = ...) -> None: ...

class RangeQueryInfo(_message.Message):
    __slots__ = ("start_key", "end_key", "itr_exhausted", "raw_reads", "reads_hash")
    START_KEY_FIELD_NUMBER: _ClassVar[int]
    END_KEY_FIELD_NUMBER: _ClassVar[int]
    ITR_EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    RAW_READS_FIELD_NUMBER: _ClassVar[int]
    READS_HASH_FIELD_NUMBER: _ClassVar[int]
    start_key: str
    end_key: str
    itr_exhausted: bool
    raw_reads: RawReads
    reads_hash: bytes
    def __init__(self, start_key: _Optional[str] = ..., end_key: _Optional[str] = ..., itr_exhausted: _Optional[bool] = ..., raw_reads: _Optional[_Union[RawReads, _Mapping]] = ..., reads_hash: _Optional[bytes] = ...) -> None: ...

class RawReads(_message.Message):
    __slots__ = ("reads",)
    READS_FIELD_NUMBER: _ClassVar[int]
    reads: _containers.RepeatedCompositeFieldContainer[KVRead]
    def __init__(self, reads: _Optional[_Iterable[_Union[KVRead, _Mapping]]] = ...) -> None: ...

class NsReadWriteSet(_message.Message):
    __slots__ = ("namespace", "reads", "range_queries", "writes")
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    READS_FIELD_NUMBER: _ClassVar[int]
    RANGE_QUERIES_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    namespace: str
    reads: _containers.RepeatedCompositeFieldContainer[KVRead]
    range_queries: _containers.RepeatedCompositeFieldContainer[RangeQueryInfo]
    writes: _containers.RepeatedCompositeFieldContainer[KVWrite]
    def __init__(self, namespace: _Optional[str] = ..., reads: _Optional[_Iterable[_Union[KVRead, _Mapping]]] = ..., range_queries: _Optional[_Iterable[_Union[RangeQueryInfo, _Mapping]]] = ..., writes: _Optional[_Iterable[_Union[KVWrite, _Mapping]]] = ...) -> None: ...

class TxReadWriteSet(_message.Message):
    __slots__ = ("ns_rwset",)
    NS_RWSET_FIELD_NUMBER: _ClassVar[int]
    ns_rwset: _containers.RepeatedCompositeFieldContainer[NsReadWriteSet]
    def __init__(self, ns_rwset: _Optional[_Iterable[_Union[NsReadWriteSet, _Mapping]]] = ...) -> None: ...
