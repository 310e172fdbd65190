"""The raft payloads of ClusterMessage: their `kind` names and a structural check for each received one.

The sender is an authenticated consenter, so this is not a defence against a malicious peer (raft tolerates crash
faults only); it keeps a corrupted or mismatched message from reaching the state machine, where it would raise
instead of being refused with a precise INVALID_ARGUMENT.
"""

from __future__ import annotations

from google.protobuf.message import Message as ProtoMessage

from gridledger.orderer.consensus.raft.core import MESSAGE_TYPES, Message
from gridledger.orderer.consensus.transport import BadPayload, parse_payload
from gridledger.v1 import raft_pb2

ClusterPayload = Message | raft_pb2.RaftForward | raft_pb2.RaftForwardResult

PAYLOAD_TYPES: dict[str, type[ProtoMessage]] = {
    cls.DESCRIPTOR.full_name: cls for cls in (*MESSAGE_TYPES, raft_pb2.RaftForward, raft_pb2.RaftForwardResult)
}


def decode(kind: str, payload: bytes) -> ClusterPayload:
    """Parse and check the payload named by `kind`; BadPayload says what is wrong."""
    message = parse_payload(kind, payload, PAYLOAD_TYPES)
    if isinstance(message, raft_pb2.RaftAppendEntries):
        previous_term = message.prev_log_term
        for position, entry in enumerate(message.entries):
            if entry.index != message.prev_log_index + 1 + position:
                raise BadPayload(f"entry {position} has index {entry.index}, expected "
                                 f"{message.prev_log_index + 1 + position}")
            if not previous_term <= entry.term <= message.term or entry.term == 0:
                raise BadPayload(f"entry {entry.index} has term {entry.term}, outside {max(previous_term, 1)}.."
                                 f"{message.term}")
            previous_term = entry.term
    elif isinstance(message, raft_pb2.RaftInstallSnapshot) and (message.snapshot.index == 0
                                                                 or message.snapshot.term > message.term):
        raise BadPayload(f"snapshot at index {message.snapshot.index}, term {message.snapshot.term} cannot be "
                             f"sent in term {message.term}")
    return message
