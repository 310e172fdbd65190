"""The `_lifecycle` system chaincode: organisations approve a chaincode definition, and once enough have approved
(the channel's LifecycleEndorsement policy) anyone of them commits it. Runs inside the peer, on the same simulator
as user chaincode, so approvals and commits are ordinary transactions with MVCC protection.
"""

from __future__ import annotations

import json

from gridledger.common.channel import ChannelContext
from gridledger.common.msp import Member
from gridledger.common.policy import PolicyError, Principal, parse_policy
from gridledger.peer.definitions import (
    DEFINITION_PREFIX,
    LIFECYCLE_NAMESPACE,
    Definition,
    approval_key,
    definition_key,
    read_definition,
)
from gridledger.v1 import transaction_pb2

NS = LIFECYCLE_NAMESPACE


class LifecycleRejection(Exception):
    """A lifecycle request that cannot succeed; the message says what to do."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _definition_arg(args: list[bytes]) -> Definition:
    if len(args) != 1:
        raise LifecycleRejection(400, "expected one argument: the chaincode definition as JSON")
    try:
        return Definition.from_bytes(args[0])
    except (ValueError, KeyError, TypeError) as exc:
        raise LifecycleRejection(400, f"malformed chaincode definition: {exc}") from None


class Lifecycle:
    """Executes lifecycle functions against a transaction simulator (get_state/put_state/range by namespace)."""

    def __init__(self, context: ChannelContext) -> None:
        self._context = context

    def invoke(self, function: str, args: list[bytes], creator: Member, simulator) -> transaction_pb2.Response:
        handlers = {"approve": self._approve, "commit": self._commit, "readiness": self._readiness,
                    "definition": self._definition, "definitions": self._definitions}
        handler = handlers.get(function)
        if handler is None:
            return transaction_pb2.Response(status=400, message=f"_lifecycle has no function {function!r}; "
                                            f"use one of {', '.join(handlers)}")
        try:
            payload = handler(args, creator, simulator)
        except LifecycleRejection as exc:
            return transaction_pb2.Response(status=exc.status, message=str(exc))
        return transaction_pb2.Response(status=200, payload=payload)

    def _current(self, simulator, name: str) -> Definition | None:
        return read_definition(simulator.get_versioned, name)

    def _check_next(self, simulator, definition: Definition) -> None:
        current = self._current(simulator, definition.name)
        expected = (current.sequence if current else 0) + 1
        if definition.sequence != expected:
            raise LifecycleRejection(400, f"sequence for {definition.name!r} must be {expected}, "
                                     f"got {definition.sequence}")
        try:
            parse_policy(definition.endorsement_policy, self._context.peer_orgs, default_role="peer")
        except PolicyError as exc:
            raise LifecycleRejection(400, f"endorsement policy: {exc}") from None

    @staticmethod
    def _require_admin(creator: Member) -> None:
        if creator.role != "admin":
            raise LifecycleRejection(403, f"{creator.name} ({creator.msp_id}) is not an org admin; lifecycle "
                                     "changes need an admin identity")

    def _approve(self, args: list[bytes], creator: Member, simulator) -> bytes:
        self._require_admin(creator)
        definition = _definition_arg(args)
        self._check_next(simulator, definition)
        simulator.put_state(NS, approval_key(definition.name, definition.sequence, creator.msp_id),
                            definition.digest().encode())
        return b""

    def _approvals(self, simulator, definition: Definition) -> dict[str, bool]:
        digest = definition.digest().encode()
        approvals = {}
        for org in self._context.peer_orgs:
            stored = simulator.get_state(NS, approval_key(definition.name, definition.sequence, org))
            approvals[org] = stored == digest
        return approvals

    def _readiness(self, args: list[bytes], creator: Member, simulator) -> bytes:
        definition = _definition_arg(args)
        approvals = self._approvals(simulator, definition)
        policy = self._context.policies["LifecycleEndorsement"]
        ready = policy.evaluate([Principal(org, "peer") for org, ok in approvals.items() if ok])
        return json.dumps({"approvals": approvals, "ready": ready, "policy": policy.expression}).encode()

    def _commit(self, args: list[bytes], creator: Member, simulator) -> bytes:
        self._require_admin(creator)
        definition = _definition_arg(args)
        self._check_next(simulator, definition)
        approvals = self._approvals(simulator, definition)
        policy = self._context.policies["LifecycleEndorsement"]
        if not policy.evaluate([Principal(org, "peer") for org, ok in approvals.items() if ok]):
            missing = [org for org, ok in approvals.items() if not ok]
            raise LifecycleRejection(409, f"definition of {definition.name!r} sequence {definition.sequence} lacks "
                                     f"approvals for policy {policy.expression}: not approved by {', '.join(missing)}")
        simulator.put_state(NS, definition_key(definition.name), definition.to_bytes())
        return definition.to_bytes()

    def _definition(self, args: list[bytes], creator: Member, simulator) -> bytes:
        if len(args) != 1:
            raise LifecycleRejection(400, "expected one argument: the chaincode name")
        found = self._current(simulator, args[0].decode(errors="replace"))
        if found is None:
            raise LifecycleRejection(404, f"no committed definition for {args[0].decode(errors='replace')!r}")
        return found.to_bytes()

    def _definitions(self, args: list[bytes], creator: Member, simulator) -> bytes:
        end = DEFINITION_PREFIX[:-1] + chr(ord(DEFINITION_PREFIX[-1]) + 1)
        found = [json.loads(value) for _, value in simulator.get_state_by_range(NS, DEFINITION_PREFIX, end)]
        return json.dumps(found).encode()
