from gridledger.v1 import rwset_pb2 as _rwset_pb2
from gridledger.v1 import transaction_pb2 as _transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WorkerCreator(_message.Message):
    __slots__ = ("msp_id", "role", "fingerprint")
    MSP_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    msp_id: str
    role: str
    fingerprint: str
    def __init__(self, msp_id: _Optional[str] = ..., role: _Optional[str] = ..., fingerprint: _Optional[str] = ...) -> None: ...

class WorkerContext(_message.Message):
    __slots__ = ("tx_id", "channel_id", "creator", "timestamp_ns", "transient", "block_height", "caller", "block_hash")
    class TransientEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: bytes
        def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_NS_FIELD_NUMBER: _ClassVar[int]
    TRANSIENT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CALLER_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    tx_id: str
    channel_id: str
    creator: WorkerCreator
    timestamp_ns: int
    transient: _containers.ScalarMap[str, bytes]
    block_height: int
    caller: str
    block_hash: bytes
    def __init__(self, tx_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., creator: _Optional[_Union[WorkerCreator, _Mapping]] = ..., timestamp_ns: _Optional[int] = ..., transient: _Optional[_Mapping[str, bytes]] = ..., block_height: _Optional[int] = ..., caller: _Optional[str] = ..., block_hash: _Optional[bytes] = ...) -> None: ...

class WorkerInvoke(_message.Message):
    __slots__ = ("context", "function", "args")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    context: WorkerContext
    function: str
    args: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, context: _Optional[_Union[WorkerContext, _Mapping]] = ..., function: _Optional[str] = ..., args: _Optional[_Iterable[bytes]] = ...) -> None: ...

class WorkerStateValue(_message.Message):
    __slots__ = ("exists", "value")
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    value: bytes
    def __init__(self, exists: _Optional[bool] = ..., value: _Optional[bytes] = ...) -> None: ...

class WorkerStateValues(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedCompositeFieldContainer[WorkerStateValue]
    def __init__(self, values: _Optional[_Iterable[_Union[WorkerStateValue, _Mapping]]] = ...) -> None: ...

class WorkerRangeEntry(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: bytes
    def __init__(self, key: _Optional[str] = ..., value: _Optional[bytes] = ...) -> None: ...

class WorkerRangePage(_message.Message):
    __slots__ = ("iterator_id", "entries", "done")
    ITERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    iterator_id: int
    entries: _containers.RepeatedCompositeFieldContainer[WorkerRangeEntry]
    done: bool
    def __init__(self, iterator_id: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[WorkerRangeEntry, _Mapping]]] = ..., done: _Optional[bool] = ...) -> None: ...

class HostToWorker(_message.Message):
    __slots__ = ("invoke", "state_values", "range_page", "invoke_response", "error")
    INVOKE_FIELD_NUMBER: _ClassVar[int]
    STATE_VALUES_FIELD_NUMBER: _ClassVar[int]
    RANGE_PAGE_FIELD_NUMBER: _ClassVar[int]
    INVOKE_RESPONSE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    invoke: WorkerInvoke
    state_values: WorkerStateValues
    range_page: WorkerRangePage
    invoke_response: _transaction_pb2.Response
    error: str
    def __init__(self, invoke: _Optional[_Union[WorkerInvoke, _Mapping]] = ..., state_values: _Optional[_Union[WorkerStateValues, _Mapping]] = ..., range_page: _Optional[_Union[WorkerRangePage, _Mapping]] = ..., invoke_response: _Optional[_Union[_transaction_pb2.Response, _Mapping]] = ..., error: _Optional[str] = ...) -> None: ...

class WorkerReady(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: str
    def __init__(self, error: _Optional[str] = ...) -> None: ...

class WorkerGetStates(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, keys: _Optional[_Iterable[str]] = ...) -> None: ...

class WorkerRangeOpen(_message.Message):
    __slots__ = ("start_key", "end_key", "writes")
    START_KEY_FIELD_NUMBER: _ClassVar[int]
    END_KEY_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    start_key: str
    end_key: str
    writes: _containers.RepeatedCompositeFieldContainer[_rwset_pb2.KVWrite]
    def __init__(self, start_key: _Optional[str] = ..., end_key: _Optional[str] = ..., writes: _Optional[_Iterable[_Union[_rwset_pb2.KVWrite, _Mapping]]] = ...) -> None: ...

class WorkerRangeNext(_message.Message):
    __slots__ = ("iterator_id",)
    ITERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    iterator_id: int
    def __init__(self, iterator_id: _Optional[int] = ...) -> None: ...

class WorkerInvokeChaincode(_message.Message):
    __slots__ = ("chaincode", "function", "args", "writes")
    CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    FUNCTION_FIELD_NUMBER: _ClassVar[int]
    ARGS_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    chaincode: str
    function: str
    args: _containers.RepeatedScalarFieldContainer[bytes]
    writes: _containers.RepeatedCompositeFieldContainer[_rwset_pb2.KVWrite]
    def __init__(self, chaincode: _Optional[str] = ..., function: _Optional[str] = ..., args: _Optional[_Iterable[bytes]] = ..., writes: _Optional[_Iterable[_Union[_rwset_pb2.KVWrite, _Mapping]]] = ...) -> None: ...

class WorkerRangeUse(_message.Message):
    __slots__ = ("iterator_id", "consumed", "exhausted")
    ITERATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CONSUMED_FIELD_NUMBER: _ClassVar[int]
    EXHAUSTED_FIELD_NUMBER: _ClassVar[int]
    iterator_id: int
    consumed: int
    exhausted: bool
    def __init__(self, iterator_id: _Optional[int] = ..., consumed: _Optional[int] = ..., exhausted: _Optional[bool] = ...) -> None: ...

class WorkerDone(_message.Message):
    __slots__ = ("response", "writes", "ranges", "event")
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    RANGES_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    response: _transaction_pb2.Response
    writes: _containers.RepeatedCompositeFieldContainer[_rwset_pb2.KVWrite]
    ranges: _containers.RepeatedCompositeFieldContainer[WorkerRangeUse]
    event: _transaction_pb2.ChaincodeEvent
    def __init__(self, response: _Optional[_Union[_transaction_pb2.Response, _Mapping]] = ..., writes: _Optional[_Iterable[_Union[_rwset_pb2.KVWrite, _Mapping]]] = ..., ranges: _Optional[_Iterable[_Union[WorkerRangeUse, _Mapping]]] = ..., event: _Optional[_Union[_transaction_pb2.ChaincodeEvent, _Mapping]] = ...) -> None: ...

class WorkerToHost(_message.Message):
    __slots__ = ("ready", "get_states", "range_open", "range_next", "invoke_chaincode", "done")
    READY_FIELD_NUMBER: _ClassVar[int]
    GET_STATES_FIELD_NUMBER: _ClassVar[int]
    RANGE_OPEN_FIELD_NUMBER: _ClassVar[int]
    RANGE_NEXT_FIELD_NUMBER: _ClassVar[int]
    INVOKE_CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ready: WorkerReady
    get_states: WorkerGetStates
    range_open: WorkerRangeOpen
    range_next: WorkerRangeNext
    invoke_chaincode: WorkerInvokeChaincode
    done: WorkerDone
    def __init__(self, ready: _Optional[_Union[WorkerReady, _Mapping]] = ..., get_states: _Optional[_Union[WorkerGetStates, _Mapping]] = ..., range_open: _Optional[_Union[WorkerRangeOpen, _Mapping]] = ..., range_next: _Optional[_Union[WorkerRangeNext, _Mapping]] = ..., invoke_chaincode: _Optional[_Union[WorkerInvokeChaincode, _Mapping]] = ..., done: _Optional[_Union[WorkerDone, _Mapping]] = ...) -> None: ...
