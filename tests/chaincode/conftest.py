"""Fixtures: a chaincode host with the sample and test chaincodes registered (real worker processes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import gridledger.chaincode.kv
from gridledger.peer.chaincode import ChaincodeHost

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KV_FOLDER = Path(gridledger.chaincode.kv.__file__).resolve().parent


@pytest.fixture(scope="module")
def host() -> Iterator[ChaincodeHost]:
    """One worker per chaincode (pool_size 1), so tests can reason about which process served a call."""
    with ChaincodeHost(timeout_s=5.0, start_timeout_s=20.0, pool_size=1, range_page_size=3) as chaincode_host:
        chaincode_host.register("kv", KV_FOLDER)
        for name in ("faulty", "caller", "records", "broken"):
            chaincode_host.register(name, FIXTURES / name)
        yield chaincode_host
