from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.network import FIXTURES, REPO, TWO_ORGS, ItNetwork, running_network


@pytest.fixture(scope="module")
def two_org_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ItNetwork]:
    """2 peer orgs x 2 peers, solo orderer; kv, ranger and faulty deployed with AND(Org1.peer, Org2.peer)."""
    with running_network(tmp_path_factory.mktemp("net2x2")) as net:
        net.deploy("kv", REPO / "gridledger" / "chaincode" / "kv", TWO_ORGS)
        net.deploy("ranger", FIXTURES / "ranger", TWO_ORGS)
        net.deploy("faulty", Path(REPO / "tests" / "chaincode" / "fixtures" / "faulty"), TWO_ORGS)
        yield net
