"""What the decoder fuzz targets run against: crypto material for deploy/networks/dev.yaml, the channel context a
node derives from its genesis block, and valid messages of every kind built the way clients and nodes build them
(common/txbuilder.py, common/blockverify.py, the raft and BFT cores), which are the fuzzers' seeds.

Both the pytest slice (tests/fuzz/test_decoders.py) and the long atheris run (scripts/fuzz.py) load one world from
a crypto folder, so a seed or crash file found by one reproduces in the other.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from gridledger.common import hashing, material, msp
from gridledger.common.blockverify import sign_block
from gridledger.common.channel import ChannelContext, config_from_block
from gridledger.common.txbuilder import endorsement_message, new_proposal, sign_payload, transaction_payload
from gridledger.ops import cryptogen, genesis
from gridledger.ops.netconfig import NetworkDefinition, load_network
from gridledger.v1 import block_pb2, peer_pb2, rwset_pb2, transaction_pb2

REPO = Path(__file__).resolve().parents[2]
DEV_NETWORK = REPO / "deploy" / "networks" / "dev.yaml"


def make_crypto(folder: Path) -> Path:
    """Crypto material for dev.yaml in `folder` (what `gridledger crypto generate` writes)."""
    cryptogen.generate(load_network(DEV_NETWORK), folder)
    return folder


@dataclass(frozen=True)
class World:
    network: NetworkDefinition
    genesis: block_pb2.Block
    context: ChannelContext
    user: msp.SigningIdentity
    peer: msp.SigningIdentity
    orderer: msp.SigningIdentity

    @classmethod
    def load(cls, crypto: Path, network_file: Path = DEV_NETWORK) -> World:
        """The world of `network_file` (dev.yaml's names: Org1MSP with user1 and peer0-org1, OrdererMSP with
        orderer0) over the crypto material in `crypto`."""
        network = load_network(network_file)
        block = genesis.make_genesis(network, crypto)
        return cls(network, block, ChannelContext.from_config(config_from_block(block)),
                   material.load_identity(crypto, "Org1MSP", "user1"),
                   material.load_identity(crypto, "Org1MSP", "peer0-org1"),
                   material.load_identity(crypto, "OrdererMSP", "orderer0"))

    @property
    def channel(self) -> str:
        return self.network.channel

    def signed_proposal(self, function: str = "put", args: tuple[str, ...] = ("key", "value")) -> \
            transaction_pb2.SignedProposal:
        return new_proposal(self.user, self.channel, "kv", function, args, {"secret": b"transient"}).signed

    def endorsed_envelope(self) -> transaction_pb2.Envelope:
        """A transaction as the gateway assembles it: the user's proposal, endorsed by the peer, signed by the
        user; what Submit hands to the orderer and what the committer checks in a block."""
        prepared = new_proposal(self.user, self.channel, "kv", "put", ("key", "value"))
        results = rwset_pb2.TxReadWriteSet(ns_rwset=[rwset_pb2.NsReadWriteSet(
            namespace="kv", writes=[rwset_pb2.KVWrite(key="key", value=b"value")])])
        response_payload = transaction_pb2.ProposalResponsePayload(
            proposal_hash=hashing.proposal_hash(prepared.header, prepared.invocation),
            chaincode=transaction_pb2.ChaincodeRef(name="kv", version="1.0", sequence=1), results=results,
            response=transaction_pb2.Response(status=200)).SerializeToString()
        endorsement = transaction_pb2.Endorsement(
            endorser=self.peer.serialized(),
            signature=self.peer.sign(endorsement_message(response_payload, self.peer.certificate)))
        response = transaction_pb2.ProposalResponse(response=transaction_pb2.Response(status=200),
                                                    payload=response_payload, endorsement=endorsement)
        return sign_payload(self.user, transaction_payload(prepared.header, prepared.invocation, [response]))

    def signed_envelope(self, creator: msp.SigningIdentity, header_type: int, data: bytes) -> \
            transaction_pb2.Envelope:
        """An envelope of `data` signed by `creator`, with a nonce but no tx id (a request, not a transaction)."""
        header = transaction_pb2.Header(type=header_type, channel_id=self.channel, timestamp_ns=time.time_ns(),
                                        creator=creator.serialized(), nonce=os.urandom(24))
        payload = transaction_pb2.Payload(header=header.SerializeToString(), data=data)
        return sign_payload(creator, payload.SerializeToString())

    def seek_envelope(self, start: int = 0, stop: int = 2) -> transaction_pb2.Envelope:
        """A deliver request as the SDK sends it to a peer or an orderer."""
        seek = peer_pb2.SeekInfo(channel_id=self.channel, start=start, stop=stop)
        return self.signed_envelope(self.user, transaction_pb2.HEADER_TYPE_UNSPECIFIED, seek.SerializeToString())

    def next_block(self) -> block_pb2.Block:
        """Block 1 after the genesis block, holding one endorsed transaction, signed by the orderer."""
        envelopes = [self.endorsed_envelope().SerializeToString()]
        block = block_pb2.Block()
        block.header.number = 1
        block.header.previous_hash = hashing.header_hash(self.genesis.header)
        block.header.data_hash = hashing.data_hash(envelopes)
        block.data.envelopes.extend(envelopes)
        sign_block(block, self.orderer)
        return block
