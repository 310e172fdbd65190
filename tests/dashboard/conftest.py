"""One running network for the dashboard and node-metrics tests: 2 peer orgs with one peer each, 3 raft orderers,
each org's REST service (which serves the dashboard), kv deployed under AND(Org1.peer, Org2.peer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.network import REPO, TWO_ORGS, ItNetwork, running_network


@pytest.fixture(scope="package")
def live_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ItNetwork]:
    with running_network(tmp_path_factory.mktemp("live"), orgs=2, peers_per_org=1, orderers=3) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        yield net
