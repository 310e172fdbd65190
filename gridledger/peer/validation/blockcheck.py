"""Validation of a whole block against the committed state: duplicate txids, namespaces and endorsement policies,
then MVCC and phantom checks in block order. Produces one validation code per transaction; the block keeps every
transaction, valid or not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from gridledger.common.channel import ChannelContext
from gridledger.common.policy import Policy, PolicyError, parse_policy
from gridledger.peer.definitions import (
    LIFECYCLE_NAMESPACE,
    Definition,
    parse_approval_key,
    read_definition,
)
from gridledger.peer.validation.txcheck import CheckedTx, TxRejected, check_envelope
from gridledger.v1 import block_pb2, rwset_pb2

log = logging.getLogger(__name__)
LIFECYCLE_POLICY = "LifecycleEndorsement"


class BlockValidator:
    """Validates blocks for one channel against one ledger (the only writer of that ledger)."""

    def __init__(self, context: ChannelContext, ledger) -> None:
        self._context = context
        self._ledger = ledger
        self._policies: dict[str, Policy] = {}

    def validate(self, block: block_pb2.Block) -> list[int]:
        codes: list[int] = []
        written: set[tuple[str, str]] = set()
        seen: set[str] = set()
        definitions: dict[str, Definition | None] = {}
        for envelope in block.data.envelopes:
            code, checked = self._validate_one(envelope, written, seen, definitions)
            codes.append(code)
            if code == block_pb2.VALID and checked is not None:
                for ns in checked.payload.results.ns_rwset:
                    written.update((ns.namespace, w.key) for w in ns.writes)
        return codes

    def _validate_one(self, envelope: bytes, written: set[tuple[str, str]], seen: set[str],
                      definitions: dict[str, Definition | None]) -> tuple[int, CheckedTx | None]:
        try:
            checked = check_envelope(envelope, self._context)
        except TxRejected as rejection:
            log.debug("transaction rejected: %s", rejection)
            return rejection.code, None
        if checked.tx_id in seen or self._ledger.has_tx(checked.tx_id):
            return block_pb2.DUPLICATE_TXID, checked
        seen.add(checked.tx_id)
        code = self._check_namespaces(checked, definitions)
        if code == block_pb2.VALID:
            code = self._check_reads(checked.payload.results, written)
        return code, checked

    # ----- namespaces and endorsement policies -----

    def _definition(self, name: str, cache: dict[str, Definition | None]) -> Definition | None:
        if name not in cache:
            cache[name] = read_definition(self._ledger.get_state, name)
        return cache[name]

    def _policy(self, expression: str) -> Policy | None:
        if expression not in self._policies:
            try:
                self._policies[expression] = parse_policy(expression, self._context.peer_orgs, default_role="peer")
            except PolicyError:
                log.warning("unusable endorsement policy %r", expression)
                return None
        return self._policies[expression]

    def _check_namespaces(self, tx: CheckedTx, definitions: dict[str, Definition | None]) -> int:
        invoked = tx.chaincode
        if invoked == LIFECYCLE_NAMESPACE:
            return self._check_lifecycle(tx)
        definition = self._definition(invoked, definitions)
        if definition is None or definition.sequence != tx.payload.chaincode.sequence:
            return block_pb2.EXPIRED_CHAINCODE
        for ns in tx.payload.results.ns_rwset:
            if not ns.writes and ns.namespace == invoked:
                continue
            target = definition if ns.namespace == invoked else self._definition(ns.namespace, definitions)
            if target is None or ns.namespace == LIFECYCLE_NAMESPACE:
                if ns.writes:
                    return block_pb2.ILLEGAL_WRITESET
                continue
            policy = self._policy(target.endorsement_policy)
            if ns.writes and (policy is None or not policy.evaluate(tx.endorsers)):
                return block_pb2.ENDORSEMENT_POLICY_FAILURE
        policy = self._policy(definition.endorsement_policy)
        if policy is None or not policy.evaluate(tx.endorsers):
            return block_pb2.ENDORSEMENT_POLICY_FAILURE
        return block_pb2.VALID

    def _check_lifecycle(self, tx: CheckedTx) -> int:
        """An org's approval needs that org's peer; a committed definition needs the LifecycleEndorsement policy."""
        endorsing_orgs = {p.msp_id for p in tx.endorsers}
        for ns in tx.payload.results.ns_rwset:
            if ns.writes and ns.namespace != LIFECYCLE_NAMESPACE:
                return block_pb2.ILLEGAL_WRITESET
            for write in ns.writes:
                approval = parse_approval_key(write.key)
                if approval is not None:
                    if approval[2] not in endorsing_orgs:
                        return block_pb2.ENDORSEMENT_POLICY_FAILURE
                elif not self._context.policies[LIFECYCLE_POLICY].evaluate(tx.endorsers):
                    return block_pb2.ENDORSEMENT_POLICY_FAILURE
        return block_pb2.VALID

    # ----- MVCC and phantoms -----

    def _check_reads(self, rwset: rwset_pb2.TxReadWriteSet, written: set[tuple[str, str]]) -> int:
        for ns in rwset.ns_rwset:
            for read in ns.reads:
                if (ns.namespace, read.key) in written or not self._same_version(ns.namespace, read):
                    return block_pb2.MVCC_READ_CONFLICT
            for query in ns.range_queries:
                if not self._range_unchanged(ns.namespace, query, written):
                    return block_pb2.PHANTOM_READ_CONFLICT
        return block_pb2.VALID

    def _same_version(self, namespace: str, read: rwset_pb2.KVRead) -> bool:
        current = self._ledger.get_state(namespace, read.key)
        if current is None:
            return not read.HasField("version")
        return read.HasField("version") and (current.block_num, current.tx_num) == (
            read.version.block_num, read.version.tx_num)

    def _range_unchanged(self, namespace: str, query: rwset_pb2.RangeQueryInfo,
                         written: set[tuple[str, str]]) -> bool:
        recorded = list(query.raw_reads.reads)
        # A chaincode that stopped early only saw keys up to its last read; later keys cannot be phantoms.
        end = query.end_key if query.itr_exhausted or not recorded else recorded[-1].key + "\x00"
        if any(ns == namespace and query.start_key <= key and (not end or key < end) for ns, key in written):
            return False
        if query.HasField("reads_hash"):
            return False  # hashed range results are not produced by this peer's simulator; treat as changed
        with self._ledger.snapshot() as snapshot:
            current = _limit(snapshot.range(namespace, query.start_key, end), len(recorded), query.itr_exhausted)
        return [(k, v.block_num, v.tx_num) for k, v in current] == [
            (r.key, r.version.block_num, r.version.tx_num) for r in recorded]



def _limit(items: Iterable, count: int, exhausted: bool) -> list:
    result = []
    for item in items:
        if not exhausted and len(result) == count:
            break
        result.append(item)
    return result
