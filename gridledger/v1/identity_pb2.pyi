from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class SerializedIdentity(_message.Message):
    __slots__ = ("msp_id", "certificate")
    MSP_ID_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    msp_id: str
    certificate: bytes
    def __init__(self, msp_id: _Optional[str] = ..., certificate: _Optional[bytes] = ...) -> None: ...
