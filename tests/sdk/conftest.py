from collections.abc import Iterator

import pytest

from tests.sdk.support import SmallNetwork, small_network


@pytest.fixture(scope="module")
def sdk_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallNetwork]:
    with small_network(tmp_path_factory.mktemp("sdknet"), rest=False) as net:
        yield net
