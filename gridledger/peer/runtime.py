"""Simulating one proposal: the `_lifecycle` system chaincode in-process, user chaincode in its worker processes,
always on a consistent snapshot of the committed state. The peer runs a chaincode only from an installed package
whose hash equals the committed definition's, and the definition is read from the same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gridledger.chaincode.context import Creator, TxContext
from gridledger.common.channel import ChannelContext
from gridledger.common.envelope import OpenedProposal
from gridledger.common.msp import Member
from gridledger.peer.chaincode.host import ChaincodeHost
from gridledger.peer.chaincode.simulator import TxSimulator
from gridledger.peer.chaincode.store import ChaincodeStore
from gridledger.peer.definitions import LIFECYCLE_NAMESPACE, Definition, read_definition
from gridledger.peer.lifecycle import Lifecycle
from gridledger.v1 import rwset_pb2, transaction_pb2


class ChaincodeNotCommitted(LookupError):
    """The proposal names a chaincode that has no committed definition in the snapshot."""


@dataclass(frozen=True)
class SimulationOutcome:
    rwset: rwset_pb2.TxReadWriteSet
    events: tuple[transaction_pb2.ChaincodeEvent, ...]
    response: transaction_pb2.Response
    definition: Definition | None  # the definition the chaincode ran under; None for `_lifecycle`


def _error(status: int, message: str) -> transaction_pb2.Response:
    return transaction_pb2.Response(status=status, message=message)


class ChaincodeRuntime:
    def __init__(self, context: ChannelContext, ledger, store_dir: Path, timeout_s: float) -> None:
        self._context = context
        self._ledger = ledger
        self.store = ChaincodeStore(store_dir)
        self.host = ChaincodeHost(timeout_s=timeout_s)
        self._lifecycle = Lifecycle(context)
        self._folders: dict[str, Path] = {}
        self._registered: dict[str, Path] = {}

    def _package_folder(self, definition: Definition) -> Path | None:
        """The installed package for a definition; found once, then remembered (installs never disappear)."""
        folder = self._folders.get(definition.package_hash)
        if folder is None:
            for package in self.store.installed():
                if package.package_id.endswith(":" + definition.package_hash):
                    folder = self._folders[definition.package_hash] = self.store.path_for(package.package_id)
        return folder

    def _register(self, name: str, folder: Path) -> None:
        if self._registered.get(name) != folder:
            self.host.register(name, folder)
            self._registered[name] = folder

    def simulate(self, opened: OpenedProposal, creator: Member) -> SimulationOutcome:
        """Run the proposal's invocation; chaincode failures come back as error responses, never exceptions. The
        definition is read here, from the snapshot the chaincode runs on, and returned with the outcome; a chaincode
        without one raises ChaincodeNotCommitted."""
        invocation = opened.invocation
        args = list(invocation.args)
        with self._ledger.snapshot() as snapshot:
            simulator = TxSimulator(snapshot)
            events: tuple[transaction_pb2.ChaincodeEvent, ...] = ()
            definition = None
            if invocation.chaincode == LIFECYCLE_NAMESPACE:
                response = self._lifecycle.invoke(invocation.function, args, creator, simulator)
            else:
                definition = read_definition(snapshot.get, invocation.chaincode)
                if definition is None:
                    raise ChaincodeNotCommitted(f"chaincode {invocation.chaincode!r} is not committed")
                folder = self._package_folder(definition)
                if folder is None:
                    response = _error(503, f"package {definition.package_hash[:16]} of {definition.name!r} is not "
                                      "installed on this peer; install it with `gridledger chaincode deploy`")
                else:
                    self._register(definition.name, folder)
                    header = opened.header
                    context = TxContext(tx_id=header.tx_id, channel_id=header.channel_id,
                                        creator=Creator(creator.msp_id, creator.role, creator.fingerprint),
                                        timestamp_ns=header.timestamp_ns, transient=dict(opened.proposal.transient),
                                        block_height=snapshot.height, block_hash=snapshot.tip_hash)
                    result = self.host.execute(definition.name, invocation.function, args, context, simulator)
                    response, events = result.response, result.events
            return SimulationOutcome(simulator.rwset(), events, response, definition)

    def close(self) -> None:
        self.host.close()
