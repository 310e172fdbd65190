"""A follower's side of broadcast: envelopes it validated go to the leader over the cluster service, and the
follower answers its client with what the leader answers (SUCCESS once committed, see leader.py).

Requests are matched to results by a per-node request id. A request fails fast with SERVICE_UNAVAILABLE, the
outcome unknown, when the leader it went to is no longer the leader or its stream broke; waiting for an answer that
a dead leader will never send would only hold the client up.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from gridledger.orderer.consensus.plugin import NotLeader
from gridledger.orderer.consensus.raft.messages import ClusterPayload
from gridledger.v1 import orderer_pb2, raft_pb2


class Forwarder:
    """Forwarded requests in flight from this node."""

    def __init__(self, send: Callable[[str, ClusterPayload], None]) -> None:
        self._send = send
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[raft_pb2.RaftForwardResult]]] = {}

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def forward(self, leader: str, envelopes: list[bytes], timeout_s: float) -> None:
        """Returns when the leader committed the envelopes; raises NotLeader (SERVICE_UNAVAILABLE) otherwise."""
        request_id = next(self._ids)
        future: asyncio.Future[raft_pb2.RaftForwardResult] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (leader, future)
        self._send(leader, raft_pb2.RaftForward(request_id=request_id, envelopes=envelopes))
        try:
            result = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise NotLeader(f"leader {leader} did not answer within {timeout_s:.0f}s; the envelopes may still be "
                            "ordered", leader) from None
        finally:
            self._pending.pop(request_id, None)
        if result.status != orderer_pb2.SUCCESS:
            raise NotLeader(f"leader {leader}: {result.info}", leader)

    def on_result(self, sender: str, result: raft_pb2.RaftForwardResult) -> None:
        pending = self._pending.get(result.request_id)
        if pending is not None and pending[0] == sender and not pending[1].done():
            pending[1].set_result(result)

    def fail(self, reason: str, *, only: str | None = None, keep: str | None = None) -> None:
        """Fail the requests sent to `only` (or to anyone but `keep`, or all) with SERVICE_UNAVAILABLE."""
        for leader, future in list(self._pending.values()):
            if (only is not None and leader != only) or (keep is not None and leader == keep) or future.done():
                continue
            future.set_result(raft_pb2.RaftForwardResult(status=orderer_pb2.SERVICE_UNAVAILABLE,
                                                         info=f"{reason}; the envelopes may or may not be ordered"))
