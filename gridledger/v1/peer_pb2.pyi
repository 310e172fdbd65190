from gridledger.v1 import block_pb2 as _block_pb2
from gridledger.v1 import transaction_pb2 as _transaction_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ProposalBatch(_message.Message):
    __slots__ = ("proposals",)
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    proposals: _containers.RepeatedCompositeFieldContainer[_transaction_pb2.SignedProposal]
    def __init__(self, proposals: _Optional[_Iterable[_Union[_transaction_pb2.SignedProposal, _Mapping]]] = ...) -> None: ...

class ProposalResponseBatch(_message.Message):
    __slots__ = ("responses",)
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    responses: _containers.RepeatedCompositeFieldContainer[_transaction_pb2.ProposalResponse]
    def __init__(self, responses: _Optional[_Iterable[_Union[_transaction_pb2.ProposalResponse, _Mapping]]] = ...) -> None: ...

class EvaluateRequest(_message.Message):
    __slots__ = ("proposal",)
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    proposal: _transaction_pb2.SignedProposal
    def __init__(self, proposal: _Optional[_Union[_transaction_pb2.SignedProposal, _Mapping]] = ...) -> None: ...

class EvaluateResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: _transaction_pb2.Response
    def __init__(self, result: _Optional[_Union[_transaction_pb2.Response, _Mapping]] = ...) -> None: ...

class EndorseRequest(_message.Message):
    __slots__ = ("proposal", "endorsing_orgs")
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    ENDORSING_ORGS_FIELD_NUMBER: _ClassVar[int]
    proposal: _transaction_pb2.SignedProposal
    endorsing_orgs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, proposal: _Optional[_Union[_transaction_pb2.SignedProposal, _Mapping]] = ..., endorsing_orgs: _Optional[_Iterable[str]] = ...) -> None: ...

class EndorseResponse(_message.Message):
    __slots__ = ("prepared_payload", "result")
    PREPARED_PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    prepared_payload: bytes
    result: _transaction_pb2.Response
    def __init__(self, prepared_payload: _Optional[bytes] = ..., result: _Optional[_Union[_transaction_pb2.Response, _Mapping]] = ...) -> None: ...

class SubmitRequest(_message.Message):
    __slots__ = ("envelope",)
    ENVELOPE_FIELD_NUMBER: _ClassVar[int]
    envelope: _transaction_pb2.Envelope
    def __init__(self, envelope: _Optional[_Union[_transaction_pb2.Envelope, _Mapping]] = ...) -> None: ...

class SubmitResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CommitStatusRequest(_message.Message):
    __slots__ = ("channel_id", "tx_id")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    tx_id: str
    def __init__(self, channel_id: _Optional[str] = ..., tx_id: _Optional[str] = ...) -> None: ...

class CommitStatusResponse(_message.Message):
    __slots__ = ("code", "block_number")
    CODE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_NUMBER_FIELD_NUMBER: _ClassVar[int]
    code: _block_pb2.ValidationCode
    block_number: int
    def __init__(self, code: _Optional[_Union[_block_pb2.ValidationCode, str]] = ..., block_number: _Optional[int] = ...) -> None: ...

class GatewayRequest(_message.Message):
    __slots__ = ("request_id", "evaluate", "endorse", "submit", "commit_status")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    ENDORSE_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    COMMIT_STATUS_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    evaluate: EvaluateRequest
    endorse: EndorseRequest
    submit: SubmitRequest
    commit_status: CommitStatusRequest
    def __init__(self, request_id: _Optional[int] = ..., evaluate: _Optional[_Union[EvaluateRequest, _Mapping]] = ..., endorse: _Optional[_Union[EndorseRequest, _Mapping]] = ..., submit: _Optional[_Union[SubmitRequest, _Mapping]] = ..., commit_status: _Optional[_Union[CommitStatusRequest, _Mapping]] = ...) -> None: ...

class GatewayError(_message.Message):
    __slots__ = ("grpc_code", "message")
    GRPC_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    grpc_code: int
    message: str
    def __init__(self, grpc_code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class GatewayReply(_message.Message):
    __slots__ = ("request_id", "evaluate", "endorse", "submit", "commit_status", "error")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EVALUATE_FIELD_NUMBER: _ClassVar[int]
    ENDORSE_FIELD_NUMBER: _ClassVar[int]
    SUBMIT_FIELD_NUMBER: _ClassVar[int]
    COMMIT_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    evaluate: EvaluateResponse
    endorse: EndorseResponse
    submit: SubmitResponse
    commit_status: CommitStatusResponse
    error: GatewayError
    def __init__(self, request_id: _Optional[int] = ..., evaluate: _Optional[_Union[EvaluateResponse, _Mapping]] = ..., endorse: _Optional[_Union[EndorseResponse, _Mapping]] = ..., submit: _Optional[_Union[SubmitResponse, _Mapping]] = ..., commit_status: _Optional[_Union[CommitStatusResponse, _Mapping]] = ..., error: _Optional[_Union[GatewayError, _Mapping]] = ...) -> None: ...

class GatewayRequestBatch(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[GatewayRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[GatewayRequest, _Mapping]]] = ...) -> None: ...

class GatewayReplyBatch(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[GatewayReply]
    def __init__(self, replies: _Optional[_Iterable[_Union[GatewayReply, _Mapping]]] = ...) -> None: ...

class SeekInfo(_message.Message):
    __slots__ = ("channel_id", "start", "newest", "stop")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    NEWEST_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    start: int
    newest: bool
    stop: int
    def __init__(self, channel_id: _Optional[str] = ..., start: _Optional[int] = ..., newest: _Optional[bool] = ..., stop: _Optional[int] = ...) -> None: ...

class TxStatus(_message.Message):
    __slots__ = ("tx_id", "code", "events")
    TX_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    tx_id: str
    code: _block_pb2.ValidationCode
    events: _containers.RepeatedCompositeFieldContainer[_transaction_pb2.ChaincodeEvent]
    def __init__(self, tx_id: _Optional[str] = ..., code: _Optional[_Union[_block_pb2.ValidationCode, str]] = ..., events: _Optional[_Iterable[_Union[_transaction_pb2.ChaincodeEvent, _Mapping]]] = ...) -> None: ...

class FilteredBlock(_message.Message):
    __slots__ = ("number", "transactions")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TRANSACTIONS_FIELD_NUMBER: _ClassVar[int]
    number: int
    transactions: _containers.RepeatedCompositeFieldContainer[TxStatus]
    def __init__(self, number: _Optional[int] = ..., transactions: _Optional[_Iterable[_Union[TxStatus, _Mapping]]] = ...) -> None: ...

class DeliverResponse(_message.Message):
    __slots__ = ("block", "filtered_block", "status")
    BLOCK_FIELD_NUMBER: _ClassVar[int]
    FILTERED_BLOCK_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    block: _block_pb2.Block
    filtered_block: FilteredBlock
    status: str
    def __init__(self, block: _Optional[_Union[_block_pb2.Block, _Mapping]] = ..., filtered_block: _Optional[_Union[FilteredBlock, _Mapping]] = ..., status: _Optional[str] = ...) -> None: ...

class AdminRequest(_message.Message):
    __slots__ = ("join_channel", "install_chaincode", "query_installed", "channel_info")
    JOIN_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    INSTALL_CHAINCODE_FIELD_NUMBER: _ClassVar[int]
    QUERY_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_INFO_FIELD_NUMBER: _ClassVar[int]
    join_channel: JoinChannelRequest
    install_chaincode: InstallChaincodeRequest
    query_installed: QueryInstalledRequest
    channel_info: ChannelInfoRequest
    def __init__(self, join_channel: _Optional[_Union[JoinChannelRequest, _Mapping]] = ..., install_chaincode: _Optional[_Union[InstallChaincodeRequest, _Mapping]] = ..., query_installed: _Optional[_Union[QueryInstalledRequest, _Mapping]] = ..., channel_info: _Optional[_Union[ChannelInfoRequest, _Mapping]] = ...) -> None: ...

class JoinChannelRequest(_message.Message):
    __slots__ = ("genesis_block",)
    GENESIS_BLOCK_FIELD_NUMBER: _ClassVar[int]
    genesis_block: bytes
    def __init__(self, genesis_block: _Optional[bytes] = ...) -> None: ...

class InstallChaincodeRequest(_message.Message):
    __slots__ = ("package",)
    PACKAGE_FIELD_NUMBER: _ClassVar[int]
    package: bytes
    def __init__(self, package: _Optional[bytes] = ...) -> None: ...

class QueryInstalledRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChannelInfoRequest(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class InstalledChaincode(_message.Message):
    __slots__ = ("package_id", "label")
    PACKAGE_ID_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    package_id: str
    label: str
    def __init__(self, package_id: _Optional[str] = ..., label: _Optional[str] = ...) -> None: ...

class ChannelInfo(_message.Message):
    __slots__ = ("channel_id", "height", "current_block_hash", "state_hash")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    CURRENT_BLOCK_HASH_FIELD_NUMBER: _ClassVar[int]
    STATE_HASH_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    height: int
    current_block_hash: bytes
    state_hash: bytes
    def __init__(self, channel_id: _Optional[str] = ..., height: _Optional[int] = ..., current_block_hash: _Optional[bytes] = ..., state_hash: _Optional[bytes] = ...) -> None: ...

class AdminResponse(_message.Message):
    __slots__ = ("join_channel", "installed", "query_installed", "channel_info")
    JOIN_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    QUERY_INSTALLED_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_INFO_FIELD_NUMBER: _ClassVar[int]
    join_channel: JoinChannelResponse
    installed: InstalledChaincode
    query_installed: QueryInstalledResponse
    channel_info: ChannelInfo
    def __init__(self, join_channel: _Optional[_Union[JoinChannelResponse, _Mapping]] = ..., installed: _Optional[_Union[InstalledChaincode, _Mapping]] = ..., query_installed: _Optional[_Union[QueryInstalledResponse, _Mapping]] = ..., channel_info: _Optional[_Union[ChannelInfo, _Mapping]] = ...) -> None: ...

class JoinChannelResponse(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class QueryInstalledResponse(_message.Message):
    __slots__ = ("chaincodes",)
    CHAINCODES_FIELD_NUMBER: _ClassVar[int]
    chaincodes: _containers.RepeatedCompositeFieldContainer[InstalledChaincode]
    def __init__(self, chaincodes: _Optional[_Iterable[_Union[InstalledChaincode, _Mapping]]] = ...) -> None: ...
