"""A submit whose commit-status wait is cancelled leaves no "Task exception was never retrieved" behind
(sdk/transport.py settle): seen in chaos runs on containers, where the status wait, cancelled because the submit
failed, ended with its stream's failure instead of cancelled (as wait_for does when its inner call fails while
being cancelled)."""

from __future__ import annotations

import asyncio
import gc

import pytest

from gridledger.sdk.transport import GatewayClient
from gridledger.v1 import transaction_pb2


class Reset(Exception):
    """The connection went away under both calls."""


class ResetClient(GatewayClient):
    """A client whose submit fails as a reset connection does, and whose status wait ends with the same failure
    when it is cancelled."""

    def __init__(self) -> None:  # no channel: _call never reaches one
        self.channel_id = "energy"

    async def _call(self, kind: str, request, timeout: float, streamed: bool):
        if kind == "submit":
            await asyncio.sleep(0.01)
            raise Reset(kind)
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise Reset(kind) from None  # cancelled, yet it ends with the connection's failure


def test_a_failed_submit_consumes_its_failed_status_wait(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> str:
        try:
            await ResetClient().submit_envelope(transaction_pb2.Envelope(), "tx", timeout=1)
        except Reset as exc:  # not pytest.raises: its traceback would keep the status wait alive past the check
            return str(exc)
        return "no failure"

    assert asyncio.run(scenario()) == "submit"
    gc.collect()  # a future's unretrieved exception is reported when the future is collected
    assert "never retrieved" not in caplog.text
