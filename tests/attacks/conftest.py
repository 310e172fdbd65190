from collections.abc import Iterator

import pytest

from tests.attacks.hostile import HostileNetwork, hostile_network


@pytest.fixture(scope="package")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileNetwork]:
    """One network for the attack matrix and the resource-abuse tests (starting one costs most of their time)."""
    with hostile_network(tmp_path_factory.mktemp("attacks")) as net:
        yield net
