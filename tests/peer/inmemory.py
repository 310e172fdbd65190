"""An in-memory channel for peer unit tests: no network, no gRPC server, no subprocess.

`InMemoryChannel` joins a channel from a real genesis block (ops/genesis.py, committed by the peer's own
`open_ledger`), builds a real Committer and one real Endorser per peer of the network definition, all over one
Ledger in a temporary folder. Transactions are built with common/txbuilder.py and endorsed by calling
`Endorser.process` directly; blocks are numbered and hash-linked with tests/ledger/chain.py's `make_block` and
signed with `blockverify.sign_block`, exactly what an orderer's block writer signs. Chaincode definitions are
deployed through the real `_lifecycle` transactions (approve, then commit), so the committer and the endorsers
read them the way they do in a running peer, whatever that way is.

The one stand-in is the chaincode runtime: `ToyRuntime` runs `_lifecycle` in-process (as the real runtime does)
and replaces user chaincode, which the real runtime runs in worker processes, by a tiny in-process contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import hashing, txbuilder
from gridledger.common.blockverify import sign_block
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.material import load_admin, load_identity
from gridledger.common.msp import Member, SigningIdentity
from gridledger.common.nodeconfig import NodeConfig
from gridledger.ops import genesis
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.peer.chaincode import TxSimulator
from gridledger.peer.committer import CommitOutcome, Committer
from gridledger.peer.definitions import LIFECYCLE_NAMESPACE, Definition, read_definition
from gridledger.peer.endorser import Endorser
from gridledger.peer.lifecycle import Lifecycle
from gridledger.peer.metrics import PeerMetrics
from gridledger.peer.node import open_ledger
from gridledger.peer.runtime import ChaincodeNotCommitted, SimulationOutcome
from gridledger.v1 import block_pb2, transaction_pb2
from tests.ledger.chain import make_block

REPO = Path(__file__).resolve().parents[2]
RAFT_NETWORK = REPO / "deploy" / "networks" / "raft.yaml"
ORG1, ORG2, ORG3 = "Org1MSP", "Org2MSP", "Org3MSP"
CHAINCODE = "counter"


def three_org_network() -> NetworkDefinition:
    """deploy/networks/raft.yaml with a third peer organisation (one peer): OutOf(2, ...) over three orgs needs it."""
    data = load_network(RAFT_NETWORK).model_dump()
    data["name"] = "three-org"
    data["peer_orgs"].append({"msp_id": ORG3, "peers": [{"name": "peer0-org3", "port": 11051}],
                              "clients": ["user1"]})
    return NetworkDefinition.model_validate(data)


class ToyRuntime:
    """The endorser's runtime for one peer: `_lifecycle` is the real system chaincode; every other chaincode is
    a small contract run on a TxSimulator over a ledger snapshot, so read sets carry real committed versions:

        put(key, value)   blind write
        add(key, delta)   read-modify-write of an integer balance (a missing key counts as 0)
        get(key)          read only

    The definition is read from the same snapshot and returned with the outcome, as the real runtime does. Each
    simulation appends the peer's name to `calls`, so a test can tell which peers endorsed.
    """

    def __init__(self, peer: str, context: ChannelContext, ledger, calls: list[str]) -> None:
        self._peer = peer
        self._ledger = ledger
        self._lifecycle = Lifecycle(context)
        self._calls = calls

    def simulate(self, parsed, creator: Member) -> SimulationOutcome:
        self._calls.append(self._peer)
        invocation = parsed.invocation
        args = list(invocation.args)
        with self._ledger.snapshot() as snapshot:
            simulator = TxSimulator(snapshot)
            definition = None
            if invocation.chaincode == LIFECYCLE_NAMESPACE:
                response = self._lifecycle.invoke(invocation.function, args, creator, simulator)
            else:
                definition = read_definition(snapshot.get, invocation.chaincode)
                if definition is None:
                    raise ChaincodeNotCommitted(f"chaincode {invocation.chaincode!r} is not committed")
                response = _toy_contract(invocation.chaincode, invocation.function, args, simulator)
            return SimulationOutcome(simulator.rwset(), (), response, definition)


def _toy_contract(namespace: str, function: str, args: list[bytes], simulator: TxSimulator) \
        -> transaction_pb2.Response:
    text = [arg.decode() for arg in args]
    if function == "put" and len(text) == 2:
        simulator.put_state(namespace, text[0], args[1])
        return transaction_pb2.Response(status=200)
    if function == "add" and len(text) == 2:
        current = simulator.get_state(namespace, text[0])
        value = str(int(current or b"0") + int(text[1])).encode()
        simulator.put_state(namespace, text[0], value)
        return transaction_pb2.Response(status=200, payload=value)
    if function == "get" and len(text) == 1:
        return transaction_pb2.Response(status=200, payload=simulator.get_state(namespace, text[0]) or b"")
    return transaction_pb2.Response(status=400, message=f"toy contract: bad call {function}{tuple(text)}")


def code_names(outcomes: Iterable[CommitOutcome]) -> list[str]:
    """Validation codes by name, so a failing assertion says MVCC_READ_CONFLICT rather than 5."""
    return [block_pb2.ValidationCode.Name(outcome.code) for outcome in outcomes]


@dataclass(frozen=True)
class Tx:
    """A signed, endorsed transaction ready for a block."""

    tx_id: str
    envelope: bytes


class InMemoryChannel:
    """One channel on one ledger, with a committer, an endorser per peer and the orderers' signing identities."""

    def __init__(self, network: NetworkDefinition, crypto: Path, folder: Path) -> None:
        self.network = network
        self.crypto = crypto
        config = genesis.build_channel_config(network, crypto)
        genesis_path = folder / "genesis.block"
        folder.mkdir(parents=True, exist_ok=True)
        genesis_path.write_bytes(genesis.genesis_block(config, genesis.signer(network, crypto)).SerializeToString())
        first_peer = network.peer_orgs[0].peers[0].name
        node = NodeConfig(name=first_peer, msp_id=network.peer_orgs[0].msp_id, role="peer", crypto_dir=crypto,
                          genesis_block=genesis_path, data_dir=folder, port=0,
                          trusted_orgs=network.msp_ids)
        self.ledger = open_ledger(node)
        self.context = ChannelContext.from_config(config_from_block(self.ledger.get_block(0)))
        self.committer = Committer(self.context, self.ledger, PeerMetrics(lambda: self.ledger.height))
        self.calls: list[str] = []
        self.endorsers: dict[str, Endorser] = {}
        self.peer_org: dict[str, str] = {}
        for msp_id, role, spec in network.all_nodes():
            if role == "peer":
                runtime = ToyRuntime(spec.name, self.context, self.ledger, self.calls)
                self.endorsers[spec.name] = Endorser(self.context, self.ledger, self.identity(msp_id, spec.name),
                                                     runtime)
                self.peer_org[spec.name] = msp_id
        self.orderers = [spec.name for _, spec in network.orderer_nodes()]

    def close(self) -> None:
        self.ledger.close()

    # ---- identities ----

    def identity(self, msp_id: str, name: str) -> SigningIdentity:
        return load_identity(self.crypto, msp_id, name)

    def user(self, msp_id: str = ORG1) -> SigningIdentity:
        return self.identity(msp_id, "user1")

    def orderer(self, name: str | None = None) -> SigningIdentity:
        name = name or self.orderers[0]
        return self.identity(next(m for m, n in self.network.orderer_nodes() if n.name == name), name)

    def peers_of(self, msp_id: str) -> list[str]:
        return [name for name, org in self.peer_org.items() if org == msp_id]

    # ---- transactions ----

    def proposal(self, creator: SigningIdentity, chaincode: str, function: str,
                 *args: bytes | str) -> txbuilder.PreparedProposal:
        return txbuilder.new_proposal(creator, self.context.channel_id, chaincode, function, args)

    def endorse(self, prepared: txbuilder.PreparedProposal, peers: Iterable[str]) \
            -> list[transaction_pb2.ProposalResponse]:
        """Each named peer's endorsement; a chaincode refusal fails the test here rather than later."""
        names = list(peers)
        responses = [self.endorsers[peer].process(prepared.signed) for peer in names]
        for peer, response in zip(names, responses, strict=True):
            assert response.response.status < 400, f"{peer} refused: {response.response.message}"
        return responses

    def transaction(self, creator: SigningIdentity, endorsers: Sequence[str], chaincode: str, function: str,
                    *args: bytes | str) -> Tx:
        prepared = self.proposal(creator, chaincode, function, *args)
        return self.assemble(creator, prepared, self.endorse(prepared, list(endorsers)))

    @staticmethod
    def assemble(creator: SigningIdentity, prepared: txbuilder.PreparedProposal,
                 responses: Sequence[transaction_pb2.ProposalResponse]) -> Tx:
        payload = txbuilder.transaction_payload(prepared.header, prepared.invocation, responses)
        return Tx(prepared.tx_id, txbuilder.sign_payload(creator, payload).SerializeToString())

    # ---- blocks ----

    def next_block(self, envelopes: Sequence[bytes], signer: SigningIdentity | None = None) -> block_pb2.Block:
        """The block an orderer would deliver next: extends the ledger, no validation codes, one consenter
        signature (what crash-fault consensus requires)."""
        block = make_block(self.ledger.height, self.ledger.last_block_hash, list(envelopes), codes=[])
        sign_block(block, signer or self.orderer())
        return block

    def commit(self, *txs: Tx) -> list[CommitOutcome]:
        return self.committer.commit(self.next_block([tx.envelope for tx in txs]))

    def tip(self) -> tuple[int, bytes, bytes]:
        """(height, last block hash, state hash): what must not move when a block is refused."""
        return self.ledger.height, self.ledger.last_block_hash, self.ledger.state_hash

    # ---- chaincode lifecycle ----

    def deploy(self, name: str, policy: str, approvers: Sequence[str]) -> Definition:
        """Approve `name` (sequence 1) by each approving org's admin, endorsed by that org's first peer, then
        commit it endorsed by one peer of every approver; both blocks must come out all VALID."""
        definition = Definition(name=name, version="1.0", sequence=1,
                                package_hash=hashing.sha256(name.encode()).hex(), endorsement_policy=policy)
        approvals = [self.transaction(load_admin(self.crypto, org), [self.peers_of(org)[0]], LIFECYCLE_NAMESPACE,
                                      "approve", definition.to_bytes()) for org in approvers]
        self._commit_all_valid(approvals)
        commit = self.transaction(load_admin(self.crypto, approvers[0]), [self.peers_of(o)[0] for o in approvers],
                                  LIFECYCLE_NAMESPACE, "commit", definition.to_bytes())
        self._commit_all_valid([commit])
        return definition

    def _commit_all_valid(self, txs: Sequence[Tx]) -> None:
        codes = code_names(self.commit(*txs))
        assert codes == ["VALID"] * len(txs), codes
