"""The gateway's per-caller budget (peer/gateway.py InFlightLimit) and the node config's limits that set it; the
limits' effect on live nodes is tests/attacks/test_resource_abuse.py's."""

from __future__ import annotations

import grpc
import pytest
from pydantic import ValidationError

from gridledger.common.grpcutil import MAX_MESSAGE_BYTES, ServerLimits
from gridledger.common.nodeconfig import Limits
from gridledger.peer.gateway import GatewayError, InFlightLimit

ALICE = (b"tls-a", b"alice")
BOB = (b"tls-a", b"bob")


def test_a_caller_at_its_limit_is_refused_and_others_are_not() -> None:
    limit = InFlightLimit(2)
    with limit.slot(ALICE), limit.slot(ALICE):
        with pytest.raises(GatewayError) as refused, limit.slot(ALICE):
            pass
        assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        with limit.slot(BOB):  # same connection, another creator: a budget of its own
            pass
    with limit.slot(ALICE), limit.slot(ALICE):  # every slot was given back
        pass


def test_a_slot_is_given_back_when_the_call_fails() -> None:
    limit = InFlightLimit(1)
    with pytest.raises(RuntimeError), limit.slot(ALICE):
        raise RuntimeError("the handler failed")
    with limit.slot(ALICE):
        pass


def test_node_limits_map_to_the_grpc_server_and_refuse_what_grpc_cannot_hold() -> None:
    assert Limits().server() == ServerLimits()
    assert Limits(max_message_bytes=1 << 20, max_concurrent_streams=5).server() == ServerLimits(1 << 20, 5)
    for bad in ({"max_message_bytes": MAX_MESSAGE_BYTES + 1}, {"max_concurrent_streams": 0},
                {"gateway_max_in_flight": 0}, {"unknown": 1}):
        with pytest.raises(ValidationError):
            Limits(**bad)
