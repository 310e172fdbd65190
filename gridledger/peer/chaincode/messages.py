"""Conversions between the shim's plain types and the peer<->worker protobuf messages (both sides use these)."""

from __future__ import annotations

from gridledger.chaincode.context import Creator, TxContext
from gridledger.chaincode.response import ChaincodeResponse
from gridledger.v1 import chaincode_pb2, transaction_pb2


def context_to_message(context: TxContext) -> chaincode_pb2.WorkerContext:
    creator = context.creator
    return chaincode_pb2.WorkerContext(
        tx_id=context.tx_id, channel_id=context.channel_id, timestamp_ns=context.timestamp_ns,
        creator=chaincode_pb2.WorkerCreator(msp_id=creator.msp_id, role=creator.role,
                                            fingerprint=creator.fingerprint),
        transient=dict(context.transient), block_height=context.block_height, caller=context.caller,
        block_hash=context.block_hash,
    )


def context_from_message(message: chaincode_pb2.WorkerContext) -> TxContext:
    creator = Creator(message.creator.msp_id, message.creator.role, message.creator.fingerprint)
    return TxContext(message.tx_id, message.channel_id, creator, message.timestamp_ns, dict(message.transient),
                     block_height=message.block_height, caller=message.caller, block_hash=message.block_hash)


def response_to_message(response: ChaincodeResponse) -> transaction_pb2.Response:
    return transaction_pb2.Response(status=response.status, message=response.message, payload=response.payload)


def response_from_message(message: transaction_pb2.Response) -> ChaincodeResponse:
    return ChaincodeResponse(message.status, message.message, message.payload)


def error_response(status: int, message: str) -> transaction_pb2.Response:
    return transaction_pb2.Response(status=status, message=message)
