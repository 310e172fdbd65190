"""The chaincode API (shim): contracts, the stub they receive, and composite-key helpers.

Contracts import only this package; it never imports the peer, so a contract sees the ledger solely through the stub.
"""

from gridledger.chaincode.composite import create_composite_key, split_composite_key
from gridledger.chaincode.context import Creator, TxContext
from gridledger.chaincode.contract import Contract, query, transaction
from gridledger.chaincode.errors import ChaincodeError
from gridledger.chaincode.response import ChaincodeResponse
from gridledger.chaincode.stub import ChaincodeStub, StateBackend

__all__ = [
    "ChaincodeError",
    "ChaincodeResponse",
    "ChaincodeStub",
    "Contract",
    "Creator",
    "StateBackend",
    "TxContext",
    "create_composite_key",
    "query",
    "split_composite_key",
    "transaction",
]
