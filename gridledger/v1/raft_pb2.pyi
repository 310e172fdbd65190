from gridledger.v1 import orderer_pb2 as _orderer_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RaftEntryType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RAFT_ENTRY_NOOP: _ClassVar[RaftEntryType]
    RAFT_ENTRY_BLOCK: _ClassVar[RaftEntryType]
RAFT_ENTRY_NOOP: RaftEntryType
RAFT_ENTRY_BLOCK: RaftEntryType

class RaftEntry(_message.Message):
    __slots__ = ("index", "term", "type", "data")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    index: int
    term: int
    type: RaftEntryType
    data: bytes
    def __init__(self, index: _Optional[int] = ..., term: _Optional[int] = ..., type: _Optional[_Union[RaftEntryType, str]] = ..., data: _Optional[bytes] = ...) -> None: ...

class RaftRequestVote(_message.Message):
    __slots__ = ("term", "last_log_index", "last_log_term", "pre_vote")
    TERM_FIELD_NUMBER: _ClassVar[int]
    LAST_LOG_INDEX_FIELD_NUMBER: _ClassVar[int]
    LAST_LOG_TERM_FIELD_NUMBER: _ClassVar[int]
    PRE_VOTE_FIELD_NUMBER: _ClassVar[int]
    term: int
    last_log_index: int
    last_log_term: int
    pre_vote: bool
    def __init__(self, term: _Optional[int] = ..., last_log_index: _Optional[int] = ..., last_log_term: _Optional[int] = ..., pre_vote: _Optional[bool] = ...) -> None: ...

class RaftVoteResponse(_message.Message):
    __slots__ = ("term", "granted", "pre_vote")
    TERM_FIELD_NUMBER: _ClassVar[int]
    GRANTED_FIELD_NUMBER: _ClassVar[int]
    PRE_VOTE_FIELD_NUMBER: _ClassVar[int]
    term: int
    granted: bool
    pre_vote: bool
    def __init__(self, term: _Optional[int] = ..., granted: _Optional[bool] = ..., pre_vote: _Optional[bool] = ...) -> None: ...

class RaftAppendEntries(_message.Message):
    __slots__ = ("term", "prev_log_index", "prev_log_term", "entries", "leader_commit")
    TERM_FIELD_NUMBER: _ClassVar[int]
    PREV_LOG_INDEX_FIELD_NUMBER: _ClassVar[int]
    PREV_LOG_TERM_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    LEADER_COMMIT_FIELD_NUMBER: _ClassVar[int]
    term: int
    prev_log_index: int
    prev_log_term: int
    entries: _containers.RepeatedCompositeFieldContainer[RaftEntry]
    leader_commit: int
    def __init__(self, term: _Optional[int] = ..., prev_log_index: _Optional[int] = ..., prev_log_term: _Optional[int] = ..., entries: _Optional[_Iterable[_Union[RaftEntry, _Mapping]]] = ..., leader_commit: _Optional[int] = ...) -> None: ...

class RaftAppendResponse(_message.Message):
    __slots__ = ("term", "success", "match_index", "rejected_index", "hint_index")
    TERM_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    MATCH_INDEX_FIELD_NUMBER: _ClassVar[int]
    REJECTED_INDEX_FIELD_NUMBER: _ClassVar[int]
    HINT_INDEX_FIELD_NUMBER: _ClassVar[int]
    term: int
    success: bool
    match_index: int
    rejected_index: int
    hint_index: int
    def __init__(self, term: _Optional[int] = ..., success: _Optional[bool] = ..., match_index: _Optional[int] = ..., rejected_index: _Optional[int] = ..., hint_index: _Optional[int] = ...) -> None: ...

class RaftSnapshot(_message.Message):
    __slots__ = ("index", "term", "data")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    TERM_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    index: int
    term: int
    data: bytes
    def __init__(self, index: _Optional[int] = ..., term: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class RaftSnapshotData(_message.Message):
    __slots__ = ("height", "tip_hash")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    TIP_HASH_FIELD_NUMBER: _ClassVar[int]
    height: int
    tip_hash: bytes
    def __init__(self, height: _Optional[int] = ..., tip_hash: _Optional[bytes] = ...) -> None: ...

class RaftInstallSnapshot(_message.Message):
    __slots__ = ("term", "snapshot")
    TERM_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_FIELD_NUMBER: _ClassVar[int]
    term: int
    snapshot: RaftSnapshot
    def __init__(self, term: _Optional[int] = ..., snapshot: _Optional[_Union[RaftSnapshot, _Mapping]] = ...) -> None: ...

class RaftHardState(_message.Message):
    __slots__ = ("term", "vote", "commit")
    TERM_FIELD_NUMBER: _ClassVar[int]
    VOTE_FIELD_NUMBER: _ClassVar[int]
    COMMIT_FIELD_NUMBER: _ClassVar[int]
    term: int
    vote: str
    commit: int
    def __init__(self, term: _Optional[int] = ..., vote: _Optional[str] = ..., commit: _Optional[int] = ...) -> None: ...

class RaftBlockMetadata(_message.Message):
    __slots__ = ("raft_index", "raft_term", "leader")
    RAFT_INDEX_FIELD_NUMBER: _ClassVar[int]
    RAFT_TERM_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    raft_index: int
    raft_term: int
    leader: str
    def __init__(self, raft_index: _Optional[int] = ..., raft_term: _Optional[int] = ..., leader: _Optional[str] = ...) -> None: ...

class RaftForward(_message.Message):
    __slots__ = ("request_id", "envelopes")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    envelopes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, request_id: _Optional[int] = ..., envelopes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class RaftForwardResult(_message.Message):
    __slots__ = ("request_id", "status", "info")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    status: _orderer_pb2.BroadcastStatus
    info: str
    def __init__(self, request_id: _Optional[int] = ..., status: _Optional[_Union[_orderer_pb2.BroadcastStatus, str]] = ..., info: _Optional[str] = ...) -> None: ...
