"""The peer's commit path (peer/committer.py with peer/validation/* and a real ledger) on in-memory blocks.

Why: the committer is the only writer of a peer's ledger, so a block it wrongly accepts corrupts the chain for good
and a transaction it wrongly marks VALID changes state that no later block can undo. The integration tests show
each validation code on a live network; these pin the committer's own decisions, quickly and deterministically:
which blocks it refuses (orderer signature, hash chain, data hash, number) without writing anything, and which code
each transaction of an accepted block gets (VALID, MVCC_READ_CONFLICT, DUPLICATE_TXID, ENDORSEMENT_POLICY_FAILURE,
BAD_PAYLOAD) together with the state and height that follow.

Everything is real except the chaincode runtime (tests/peer/inmemory.py): crypto material of deploy/networks/
raft.yaml (two orgs, three raft orderers), the genesis block, Endorser.process for endorsements, blocks signed with
blockverify.sign_block, and the `counter` chaincode deployed through `_lifecycle` under the policy
AND('Org1MSP.peer', 'Org2MSP.peer').
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gridledger.common import hashing
from gridledger.common.blockverify import BlockVerificationError, sign_block
from gridledger.common.material import load_admin
from gridledger.ops.netconfig import load_network
from gridledger.peer.committer import CommitOutcome
from gridledger.peer.ledger import VersionedValue
from gridledger.v1 import block_pb2
from tests.ledger.chain import make_block
from tests.peer.inmemory import CHAINCODE, ORG1, ORG2, InMemoryChannel, Tx, code_names

VALID = block_pb2.VALID
BOTH_ORGS = "AND('Org1MSP.peer', 'Org2MSP.peer')"
ONE_OF_EACH = ("peer0-org1", "peer0-org2")


@pytest.fixture
def channel(raft_crypto: tuple[Path, Path], tmp_path: Path) -> Iterator[InMemoryChannel]:
    network_file, crypto = raft_crypto
    opened = InMemoryChannel(load_network(network_file), crypto, tmp_path / "peer")
    try:
        opened.deploy(CHAINCODE, BOTH_ORGS, [ORG1, ORG2])
        yield opened
    finally:
        opened.close()


def put(channel: InMemoryChannel, key: str, value: str, endorsers: tuple[str, ...] = ONE_OF_EACH) -> Tx:
    return channel.transaction(channel.user(), endorsers, CHAINCODE, "put", key, value)


def add(channel: InMemoryChannel, key: str, delta: int, endorsers: tuple[str, ...] = ONE_OF_EACH) -> Tx:
    return channel.transaction(channel.user(), endorsers, CHAINCODE, "add", key, str(delta))


# ----- accepted blocks -----


@pytest.mark.parametrize("orderer", ["orderer0", "orderer2"])
def test_valid_block_commits_with_valid_codes_and_advances_height_and_state(channel: InMemoryChannel,
                                                                             orderer: str) -> None:
    """Under raft one consenter's signature suffices, whichever consenter it is."""
    first = put(channel, "meter-1", "42")
    second = channel.transaction(channel.user(ORG2), ("peer1-org2", "peer1-org1"), CHAINCODE, "add", "meter-2", "7")
    height, _, state_hash = channel.tip()
    block = channel.next_block([first.envelope, second.envelope], channel.orderer(orderer))

    outcomes = channel.committer.commit(block)

    assert outcomes == [CommitOutcome(first.tx_id, VALID, height), CommitOutcome(second.tx_id, VALID, height)]
    assert channel.ledger.height == height + 1
    assert channel.ledger.last_block_hash == hashing.header_hash(block.header)
    assert channel.ledger.state_hash != state_hash
    assert channel.ledger.get_state(CHAINCODE, "meter-1") == VersionedValue(b"42", height, 0)
    assert channel.ledger.get_state(CHAINCODE, "meter-2") == VersionedValue(b"7", height, 1)
    stored = channel.ledger.get_block(height)
    assert stored is not None
    assert list(stored.metadata.validation_codes) == [VALID, VALID]
    assert list(stored.data.envelopes) == [first.envelope, second.envelope]
    assert channel.ledger.get_tx_location(second.tx_id) == (height, 1, VALID)


def test_malformed_envelope_stays_in_the_block_as_bad_payload(channel: InMemoryChannel) -> None:
    """A block keeps every transaction: garbage bytes are marked BAD_PAYLOAD, reported to nobody (they carry no
    txid), and do not stop the valid transaction next to them."""
    good = put(channel, "after-garbage", "1")
    height = channel.ledger.height
    block = channel.next_block([b"\x0a\xff not an envelope", good.envelope])

    outcomes = channel.committer.commit(block)

    assert outcomes == [CommitOutcome(good.tx_id, VALID, height)]
    stored = channel.ledger.get_block(height)
    assert stored is not None
    assert list(stored.metadata.validation_codes) == [block_pb2.BAD_PAYLOAD, VALID]
    assert channel.ledger.get_state(CHAINCODE, "after-garbage") == VersionedValue(b"1", height, 1)


# ----- refused blocks -----

BlockMaker = Callable[[InMemoryChannel, list[bytes]], block_pb2.Block]


def _unsigned(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    return make_block(channel.ledger.height, channel.ledger.last_block_hash, envelopes, codes=[])


def _signed_by_a_peer(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    return channel.next_block(envelopes, channel.identity(ORG1, "peer0-org1"))


def _signed_by_the_orderer_org_admin(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    """A valid identity of the orderer org, but not one of the channel's consenters."""
    return channel.next_block(envelopes, load_admin(channel.crypto, channel.network.orderer_msp_ids[0]))


def _signature_claims_another_consenter(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    block = channel.next_block(envelopes, channel.orderer("orderer0"))
    block.metadata.signatures[0].signer.CopyFrom(channel.orderer("orderer1").serialized())
    return block


def _signature_bytes_flipped(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    block = channel.next_block(envelopes)
    signature = bytearray(block.metadata.signatures[0].signature)
    signature[0] ^= 0x01
    block.metadata.signatures[0].signature = bytes(signature)
    return block


def _consenter_metadata_changed_after_signing(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    block = channel.next_block(envelopes)
    block.metadata.consenter_metadata = b"not what was signed"
    return block


def _wrong_previous_hash(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    block = make_block(channel.ledger.height, hashing.sha256(b"another chain"), envelopes, codes=[])
    sign_block(block, channel.orderer())
    return block


def _envelope_dropped_after_hashing(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    """The header (and so the signature) is genuine; the data no longer matches its data hash."""
    block = channel.next_block(envelopes)
    del block.data.envelopes[-1]
    return block


def _number_skips_ahead(channel: InMemoryChannel, envelopes: list[bytes]) -> block_pb2.Block:
    block = make_block(channel.ledger.height + 1, channel.ledger.last_block_hash, envelopes, codes=[])
    sign_block(block, channel.orderer())
    return block


NO_CONSENTER_SIGNATURE = "0 valid consenter signature"
REFUSED_BLOCKS = [(_unsigned, NO_CONSENTER_SIGNATURE),
                  (_signed_by_a_peer, NO_CONSENTER_SIGNATURE),
                  (_signed_by_the_orderer_org_admin, NO_CONSENTER_SIGNATURE),
                  (_signature_claims_another_consenter, NO_CONSENTER_SIGNATURE),
                  (_signature_bytes_flipped, NO_CONSENTER_SIGNATURE),
                  (_consenter_metadata_changed_after_signing, NO_CONSENTER_SIGNATURE),
                  (_wrong_previous_hash, "previous hash does not match"),
                  (_envelope_dropped_after_hashing, "data hash does not match"),
                  (_number_skips_ahead, "expected block")]


@pytest.mark.parametrize(("make", "reason"),
                         [pytest.param(make, reason, id=make.__name__.strip("_")) for make, reason in REFUSED_BLOCKS])
def test_block_that_does_not_verify_is_refused_and_nothing_is_written(channel: InMemoryChannel, make: BlockMaker,
                                                                      reason: str) -> None:
    txs = [put(channel, "refused-1", "1"), put(channel, "refused-2", "2")]
    before = channel.tip()

    with pytest.raises(BlockVerificationError, match=reason):
        channel.committer.commit(make(channel, [tx.envelope for tx in txs]))

    assert channel.tip() == before
    assert channel.ledger.get_block(before[0]) is None
    assert channel.ledger.get_state(CHAINCODE, "refused-1") is None
    assert not any(channel.ledger.has_tx(tx.tx_id) for tx in txs)
    # Not even the txids were recorded: the genuine block with the same transactions is accepted, all VALID.
    assert code_names(channel.commit(*txs)) == ["VALID", "VALID"]
    assert channel.ledger.height == before[0] + 1


def test_committing_the_same_block_twice_is_refused(channel: InMemoryChannel) -> None:
    """Refused, not idempotent, by design: Committer.commit first verifies that the block's number equals the
    ledger height, so a block that is already committed fails with "expected block N+1, got N" before it is
    validated or written. Idempotence is not needed there because the peer's BlockPuller drops delivered blocks
    below the ledger height before they reach the committer. Checked both for the very object just committed
    (whose validation codes the first commit filled in) and for a fresh copy, as an orderer would resend it."""
    tx = put(channel, "once", "1")
    height = channel.ledger.height
    block = channel.next_block([tx.envelope])
    redelivered = block_pb2.Block.FromString(block.SerializeToString())
    assert code_names(channel.committer.commit(block)) == ["VALID"]
    after = channel.tip()
    stored = channel.ledger.get_block(height)
    assert stored is not None

    for again in (block, redelivered):
        with pytest.raises(BlockVerificationError, match=f"expected block {height + 1}, got {height}"):
            channel.committer.commit(again)

    assert channel.tip() == after
    assert channel.ledger.get_block(height) == stored
    assert channel.ledger.get_block(height + 1) is None
    assert channel.ledger.get_tx_location(tx.tx_id) == (height, 0, VALID)
    assert channel.ledger.get_state(CHAINCODE, "once") == VersionedValue(b"1", height, 0)


# ----- per-transaction validation codes -----


def test_second_read_write_of_a_key_in_one_block_is_an_mvcc_conflict(channel: InMemoryChannel) -> None:
    channel.commit(add(channel, "alice", 100))
    first, second = add(channel, "alice", 10), add(channel, "alice", 5)  # both read alice at the same version
    unrelated = add(channel, "bob", 1)
    height = channel.ledger.height

    outcomes = channel.commit(first, second, unrelated)

    assert code_names(outcomes) == ["VALID", "MVCC_READ_CONFLICT", "VALID"]
    assert channel.ledger.get_state(CHAINCODE, "alice") == VersionedValue(b"110", height, 0)
    assert channel.ledger.get_state(CHAINCODE, "bob") == VersionedValue(b"1", height, 2)
    assert channel.ledger.get_tx_location(second.tx_id) == (height, 1, block_pb2.MVCC_READ_CONFLICT)
    assert [change[0] for change in channel.ledger.get_history(CHAINCODE, "alice")] == [height - 1, height]


def test_write_of_an_invalid_transaction_causes_no_conflict(channel: InMemoryChannel) -> None:
    """Only VALID transactions' writes count for MVCC inside a block: the first tx fails its endorsement policy,
    so the second, which read the same version, is VALID and its write is the one applied."""
    channel.commit(add(channel, "alice", 100))
    org1_only = add(channel, "alice", 10, endorsers=("peer0-org1",))
    second = add(channel, "alice", 5)
    height = channel.ledger.height

    assert code_names(channel.commit(org1_only, second)) == ["ENDORSEMENT_POLICY_FAILURE", "VALID"]
    assert channel.ledger.get_state(CHAINCODE, "alice") == VersionedValue(b"105", height, 1)


def test_read_of_a_version_changed_by_an_earlier_block_is_an_mvcc_conflict(channel: InMemoryChannel) -> None:
    channel.commit(add(channel, "carol", 100))
    stale = add(channel, "carol", 1)  # endorsed now, committed after the next block changed carol
    channel.commit(add(channel, "carol", 50))
    height = channel.ledger.height

    assert code_names(channel.commit(stale)) == ["MVCC_READ_CONFLICT"]
    assert channel.ledger.get_state(CHAINCODE, "carol") == VersionedValue(b"150", height - 1, 0)


def test_duplicate_txid_in_a_block_and_in_a_later_block(channel: InMemoryChannel) -> None:
    """The first occurrence of a txid wins; later ones, in the same block or any later one, are DUPLICATE_TXID
    and write nothing, even when they carry different (equally valid) endorsements."""
    prepared = channel.proposal(channel.user(), CHAINCODE, "add", "dave", "1")
    tx = channel.assemble(channel.user(), prepared, channel.endorse(prepared, ONE_OF_EACH))
    re_endorsed = channel.assemble(channel.user(), prepared, channel.endorse(prepared, ("peer1-org1", "peer1-org2")))
    assert re_endorsed.tx_id == tx.tx_id and re_endorsed.envelope != tx.envelope
    height = channel.ledger.height

    outcomes = channel.commit(tx, re_endorsed, tx)

    assert [(o.tx_id, name) for o, name in zip(outcomes, code_names(outcomes), strict=True)] == [
        (tx.tx_id, "VALID"), (tx.tx_id, "DUPLICATE_TXID"), (tx.tx_id, "DUPLICATE_TXID")]
    assert channel.ledger.get_state(CHAINCODE, "dave") == VersionedValue(b"1", height, 0)
    assert channel.ledger.get_tx_location(tx.tx_id) == (height, 0, VALID)

    assert code_names(channel.commit(tx)) == ["DUPLICATE_TXID"]
    assert channel.ledger.get_state(CHAINCODE, "dave") == VersionedValue(b"1", height, 0)


@pytest.mark.parametrize("endorsers", [("peer0-org1",), ("peer0-org1", "peer1-org1"), ("peer1-org2",)],
                         ids=["one-org1-peer", "two-org1-peers", "one-org2-peer"])
def test_endorsement_not_satisfying_the_policy_fails(channel: InMemoryChannel, endorsers: tuple[str, ...]) -> None:
    """AND('Org1MSP.peer', 'Org2MSP.peer') needs a peer of each org; two peers of one org are not enough. The
    transaction is recorded with its code (the block advances the height) but its write is not applied."""
    tx = put(channel, "unendorsed", "1", endorsers=endorsers)
    height = channel.ledger.height

    assert code_names(channel.commit(tx)) == ["ENDORSEMENT_POLICY_FAILURE"]
    assert channel.ledger.height == height + 1
    assert channel.ledger.get_state(CHAINCODE, "unendorsed") is None
    assert channel.ledger.get_tx_location(tx.tx_id) == (height, 0, block_pb2.ENDORSEMENT_POLICY_FAILURE)
