from gridledger.v1 import identity_pb2 as _identity_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrganizationConfig(_message.Message):
    __slots__ = ("msp_id", "root_cert", "tls_root_cert", "revoked_serials")
    MSP_ID_FIELD_NUMBER: _ClassVar[int]
    ROOT_CERT_FIELD_NUMBER: _ClassVar[int]
    TLS_ROOT_CERT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_SERIALS_FIELD_NUMBER: _ClassVar[int]
    msp_id: str
    root_cert: bytes
    tls_root_cert: bytes
    revoked_serials: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, msp_id: _Optional[str] = ..., root_cert: _Optional[bytes] = ..., tls_root_cert: _Optional[bytes] = ..., revoked_serials: _Optional[_Iterable[str]] = ...) -> None: ...

class Consenter(_message.Message):
    __slots__ = ("id", "msp_id", "host", "port", "identity", "tls_cert")
    ID_FIELD_NUMBER: _ClassVar[int]
    MSP_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    TLS_CERT_FIELD_NUMBER: _ClassVar[int]
    id: str
    msp_id: str
    host: str
    port: int
    identity: _identity_pb2.SerializedIdentity
    tls_cert: bytes
    def __init__(self, id: _Optional[str] = ..., msp_id: _Optional[str] = ..., host: _Optional[str] = ..., port: _Optional[int] = ..., identity: _Optional[_Union[_identity_pb2.SerializedIdentity, _Mapping]] = ..., tls_cert: _Optional[bytes] = ...) -> None: ...

class BatchConfig(_message.Message):
    __slots__ = ("max_message_count", "preferred_max_bytes", "absolute_max_bytes", "batch_timeout_ms")
    MAX_MESSAGE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PREFERRED_MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    ABSOLUTE_MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    BATCH_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    max_message_count: int
    preferred_max_bytes: int
    absolute_max_bytes: int
    batch_timeout_ms: int
    def __init__(self, max_message_count: _Optional[int] = ..., preferred_max_bytes: _Optional[int] = ..., absolute_max_bytes: _Optional[int] = ..., batch_timeout_ms: _Optional[int] = ...) -> None: ...

class RaftOptions(_message.Message):
    __slots__ = ("tick_interval_ms", "election_tick", "heartbeat_tick", "snapshot_interval_blocks")
    TICK_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    ELECTION_TICK_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TICK_FIELD_NUMBER: _ClassVar[int]
    SNAPSHOT_INTERVAL_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    tick_interval_ms: int
    election_tick: int
    heartbeat_tick: int
    snapshot_interval_blocks: int
    def __init__(self, tick_interval_ms: _Optional[int] = ..., election_tick: _Optional[int] = ..., heartbeat_tick: _Optional[int] = ..., snapshot_interval_blocks: _Optional[int] = ...) -> None: ...

class BftOptions(_message.Message):
    __slots__ = ("request_timeout_ms", "view_change_timeout_ms", "leader_rotation", "rotation_blocks")
    REQUEST_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    VIEW_CHANGE_TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    LEADER_ROTATION_FIELD_NUMBER: _ClassVar[int]
    ROTATION_BLOCKS_FIELD_NUMBER: _ClassVar[int]
    request_timeout_ms: int
    view_change_timeout_ms: int
    leader_rotation: bool
    rotation_blocks: int
    def __init__(self, request_timeout_ms: _Optional[int] = ..., view_change_timeout_ms: _Optional[int] = ..., leader_rotation: _Optional[bool] = ..., rotation_blocks: _Optional[int] = ...) -> None: ...

class ConsensusConfig(_message.Message):
    __slots__ = ("type", "consenters", "raft", "bft")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONSENTERS_FIELD_NUMBER: _ClassVar[int]
    RAFT_FIELD_NUMBER: _ClassVar[int]
    BFT_FIELD_NUMBER: _ClassVar[int]
    type: str
    consenters: _containers.RepeatedCompositeFieldContainer[Consenter]
    raft: RaftOptions
    bft: BftOptions
    def __init__(self, type: _Optional[str] = ..., consenters: _Optional[_Iterable[_Union[Consenter, _Mapping]]] = ..., raft: _Optional[_Union[RaftOptions, _Mapping]] = ..., bft: _Optional[_Union[BftOptions, _Mapping]] = ...) -> None: ...

class ChaincodeDefinition(_message.Message):
    __slots__ = ("name", "version", "sequence", "endorsement_policy")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ENDORSEMENT_POLICY_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    sequence: int
    endorsement_policy: str
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., sequence: _Optional[int] = ..., endorsement_policy: _Optional[str] = ...) -> None: ...

class ChannelConfig(_message.Message):
    __slots__ = ("channel_id", "sequence", "organizations", "orderer_orgs", "consensus", "batch", "policies")
    class PoliciesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    ORGANIZATIONS_FIELD_NUMBER: _ClassVar[int]
    ORDERER_ORGS_FIELD_NUMBER: _ClassVar[int]
    CONSENSUS_FIELD_NUMBER: _ClassVar[int]
    BATCH_FIELD_NUMBER: _ClassVar[int]
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    sequence: int
    organizations: _containers.RepeatedCompositeFieldContainer[OrganizationConfig]
    orderer_orgs: _containers.RepeatedScalarFieldContainer[str]
    consensus: ConsensusConfig
    batch: BatchConfig
    policies: _containers.ScalarMap[str, str]
    def __init__(self, channel_id: _Optional[str] = ..., sequence: _Optional[int] = ..., organizations: _Optional[_Iterable[_Union[OrganizationConfig, _Mapping]]] = ..., orderer_orgs: _Optional[_Iterable[str]] = ..., consensus: _Optional[_Union[ConsensusConfig, _Mapping]] = ..., batch: _Optional[_Union[BatchConfig, _Mapping]] = ..., policies: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ConfigSignature(_message.Message):
    __slots__ = ("signer", "signature")
    SIGNER_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_FIELD_NUMBER: _ClassVar[int]
    signer: _identity_pb2.SerializedIdentity
    signature: bytes
    def __init__(self, signer: _Optional[_Union[_identity_pb2.SerializedIdentity, _Mapping]] = ..., signature: _Optional[bytes] = ...) -> None: ...

class ConfigEnvelope(_message.Message):
    __slots__ = ("config", "signatures")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SIGNATURES_FIELD_NUMBER: _ClassVar[int]
    config: bytes
    signatures: _containers.RepeatedCompositeFieldContainer[ConfigSignature]
    def __init__(self, config: _Optional[bytes] = ..., signatures: _Optional[_Iterable[_Union[ConfigSignature, _Mapping]]] = ...) -> None: ...
