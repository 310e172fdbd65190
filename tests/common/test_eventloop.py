"""The event loop choice of node processes and bench workers (gridledger/common/eventloop.py)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from gridledger.common import eventloop


async def loop_class() -> type:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_default_runs_on_uvloop_where_it_is_installed(monkeypatch):
    monkeypatch.delenv(eventloop.VARIABLE, raising=False)
    assert eventloop.chosen() == "uvloop"
    assert issubclass(eventloop.run(loop_class()), uvloop.Loop)


def test_asyncio_selects_the_standard_loop(monkeypatch):
    monkeypatch.setenv(eventloop.VARIABLE, "asyncio")
    assert not issubclass(eventloop.run(loop_class()), uvloop.Loop)


def test_an_unknown_loop_is_refused_by_name(monkeypatch):
    monkeypatch.setenv(eventloop.VARIABLE, "tokio")
    with pytest.raises(ValueError, match="GRIDLEDGER_EVENT_LOOP='tokio': choose one of auto, uvloop, asyncio"):
        eventloop.chosen()
