"""One running network for the fuzz slices that need one (gRPC handlers and REST), started once for the folder:
a peer, a solo orderer and the org's REST service, each its own process, with kv, market and token deployed (the
REST slice fuzzes the market's operations on a market that exists)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.livenet import FuzzNetwork, fuzz_network


@pytest.fixture(scope="package")
def fuzz_net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzNetwork]:
    with fuzz_network(tmp_path_factory.mktemp("fuzz-network"), rest=True,
                      chaincodes=("kv", "market", "token")) as net:
        yield net
