from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BftPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BFT_PHASE_UNSPECIFIED: _ClassVar[BftPhase]
    BFT_PREPARE: _ClassVar[BftPhase]
    BFT_COMMIT: _ClassVar[BftPhase]
BFT_PHASE_UNSPECIFIED: BftPhase
BFT_PREPARE: BftPhase
BFT_COMMIT: BftPhase

class BftSignature(_message.Message):
    __slots__ = ("signer", "signature")
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signer: str
    signature: bytes
    def __init__(self, signer: _Optional[str] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BftCertificate(_message.Message):
    __slots__ = ("phase", "view", "height", "block_hash", "signatures")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    phase: BftPhase
    view: int
    height: int
    block_hash: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[BftSignature]
    def __init__(self, phase: _Optional[_Union[BftPhase, str]] = ..., view: _Optional[int] = ..., height: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[BftSignature, _Mapping]]] = ...) -> None: ...

class BftProposal(_message.Message):
    __slots__ = ("view", "block", "justify", "tc", "signature")
    VIEW_FIELD_NUMBER: _ClassVar[int]
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    JUSTIFY_FIELD_NUMBER: _ClassVar[int]
    TC_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    view: int
    block: bytes
    justify: BftCertificate
    tc: BftTimeoutCertificate
    signature: bytes
    def __init__(self, view: _Optional[int] = ..., block: _Optional[bytes] = ..., justify: _Optional[_Union[BftCertificate, _Mapping]] = ..., tc: _Optional[_Union[BftTimeoutCertificate, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BftVote(_message.Message):
    __slots__ = ("phase", "view", "height", "block_hash", "signature")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    phase: BftPhase
    view: int
    height: int
    block_hash: bytes
    signature: bytes
    def __init__(self, phase: _Optional[_Union[BftPhase, str]] = ..., view: _Optional[int] = ..., height: _Optional[int] = ..., block_hash: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BftRank(_message.Message):
    __slots__ = ("height", "phase", "view")
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    height: int
    phase: BftPhase
    view: int
    def __init__(self, height: _Optional[int] = ..., phase: _Optional[_Union[BftPhase, str]] = ..., view: _Optional[int] = ...) -> None: ...

class BftTimeout(_message.Message):
    __slots__ = ("view", "high", "high_block", "signature")
    VIEW_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    HIGH_BLOCK_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    view: int
    high: BftCertificate
    high_block: bytes
    signature: bytes
    def __init__(self, view: _Optional[int] = ..., high: _Optional[_Union[BftCertificate, _Mapping]] = ..., high_block: _Optional[bytes] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BftSignedTimeout(_message.Message):
    __slots__ = ("signer", "rank", "signature")
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signer: str
    rank: BftRank
    signature: bytes
    def __init__(self, signer: _Optional[str] = ..., rank: _Optional[_Union[BftRank, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class BftTimeoutCertificate(_message.Message):
    __slots__ = ("view", "timeouts")
    VIEW_FIELD_NUMBER: _ClassVar[int]
    TIMEOUTS_FIELD_NUMBER: _ClassVar[int]
    view: int
    timeouts: _containers.RepeatedCompositeFieldContainer[BftSignedTimeout]
    def __init__(self, view: _Optional[int] = ..., timeouts: _Optional[_Iterable[_Union[BftSignedTimeout, _Mapping]]] = ...) -> None: ...

class BftForward(_message.Message):
    __slots__ = ("envelopes",)
    ENVELOPES_FIELD_NUMBER: _ClassVar[int]
    envelopes: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, envelopes: _Optional[_Iterable[bytes]] = ...) -> None: ...

class BftState(_message.Message):
    __slots__ = ("view", "vote_from_view", "prepared_view", "prepared_height", "committed_view", "committed_height", "high", "high_block")
    VIEW_FIELD_NUMBER: _ClassVar[int]
    VOTE_FROM_VIEW_FIELD_NUMBER: _ClassVar[int]
    PREPARED_VIEW_FIELD_NUMBER: _ClassVar[int]
    PREPARED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_VIEW_FIELD_NUMBER: _ClassVar[int]
    COMMITTED_HEIGHT_FIELD_NUMBER: _ClassVar[int]
    HIGH_FIELD_NUMBER: _ClassVar[int]
    HIGH_BLOCK_FIELD_NUMBER: _ClassVar[int]
    view: int
    vote_from_view: int
    prepared_view: int
    prepared_height: int
    committed_view: int
    committed_height: int
    high: BftCertificate
    high_block: bytes
    def __init__(self, view: _Optional[int] = ..., vote_from_view: _Optional[int] = ..., prepared_view: _Optional[int] = ..., prepared_height: _Optional[int] = ..., committed_view: _Optional[int] = ..., committed_height: _Optional[int] = ..., high: _Optional[_Union[BftCertificate, _Mapping]] = ..., high_block: _Optional[bytes] = ...) -> None: ...
