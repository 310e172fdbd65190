"""The crypto bound: the throughput this machine's cores would allow if Ed25519 signing and verifying were the
only work per transaction, measured in-run with PyNaCl as the nodes use it.

Signatures per transaction, for a topology with E endorsing orgs (the smallest org set satisfying the endorsement
policy, as the gateway picks it) and P peers, one transaction per envelope:
  signs:    client proposal 1 + endorsements E + client envelope 1                     = E + 2
  verifies: endorsers check the proposal E + the receiving orderer checks the envelope 1
            + every peer checks creator and endorsements P * (1 + E)                   = E + 1 + P (1 + E)
  per block (spread over the transactions in it): the leader orderer signs 1, every peer verifies 1
On default.yaml (E=2, P=4): 4 signs and 15 verifies per transaction, as docs/performance.md ("The crypto bound") counts.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

from nacl.signing import SigningKey

from gridledger.common.policy import parse_policy
from gridledger.ops.netconfig import NetworkDefinition

MESSAGE_SIZE = 600  # bytes: about a proposal or transaction payload of kv-blind-write
ITERATIONS = 2000
REPEATS = 3


@dataclass(frozen=True)
class CryptoCost:
    """Microseconds per Ed25519 operation on this machine (best of REPEATS runs, to discount other load)."""

    sign_us: float
    verify_us: float
    message_bytes: int


@dataclass(frozen=True)
class SignatureCount:
    endorsers: int
    peers: int
    signs_per_tx: int
    verifies_per_tx: int
    signs_per_block: int
    verifies_per_block: int


def measure(iterations: int = ITERATIONS) -> CryptoCost:
    key = SigningKey.generate()
    verify_key = key.verify_key
    message = os.urandom(MESSAGE_SIZE)
    signature = key.sign(message).signature

    def best(operation) -> float:
        timings = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            for _ in range(iterations):
                operation()
            timings.append((time.perf_counter() - started) / iterations)
        return min(timings) * 1e6

    return CryptoCost(best(lambda: key.sign(message)), best(lambda: verify_key.verify(message, signature)),
                      MESSAGE_SIZE)


def endorsers_needed(network: NetworkDefinition) -> int:
    """Orgs the gateway asks to endorse a kv transaction: the smallest org set satisfying the policy."""
    policy = parse_policy(network.policies.endorsement, network.peer_msp_ids, default_role="peer")
    return min(len(orgs) for orgs in policy.satisfying_org_sets())


def count(network: NetworkDefinition) -> SignatureCount:
    endorsers = endorsers_needed(network)
    peers = sum(len(org.peers) for org in network.peer_orgs)
    return SignatureCount(endorsers, peers, endorsers + 2, endorsers + 1 + peers * (1 + endorsers), 1, peers)


def bound(cost: CryptoCost, signatures: SignatureCount, tx_per_block: float, cores: int) -> dict[str, float]:
    """CPU microseconds of signature work per transaction and the tx/s that `cores` cores allow at that cost."""
    per_block = signatures.signs_per_block * cost.sign_us + signatures.verifies_per_block * cost.verify_us
    per_tx = (signatures.signs_per_tx * cost.sign_us + signatures.verifies_per_tx * cost.verify_us
              + per_block / max(tx_per_block, 1.0))
    return {"cpu_us_per_tx": per_tx, "bound_tps": cores * 1e6 / per_tx, "tx_per_block_assumed": tx_per_block,
            "cores": cores, **{k: float(v) for k, v in asdict(signatures).items()}}
