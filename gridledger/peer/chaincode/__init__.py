"""The peer's chaincode runtime: transaction simulation, worker processes that run contracts, installed packages."""

from gridledger.peer.chaincode.host import ChaincodeHost, ExecutionResult
from gridledger.peer.chaincode.process import WorkerStartError
from gridledger.peer.chaincode.simulator import StateReader, TxSimulator
from gridledger.peer.chaincode.store import ChaincodeStore, InstalledPackage, InvalidPackageError, package_id_for

__all__ = [
    "ChaincodeHost",
    "ChaincodeStore",
    "ExecutionResult",
    "InstalledPackage",
    "InvalidPackageError",
    "StateReader",
    "TxSimulator",
    "WorkerStartError",
    "package_id_for",
]
