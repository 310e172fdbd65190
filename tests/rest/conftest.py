from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from tests.sdk.support import SmallNetwork, small_network


@dataclass
class RestNetwork:
    net: SmallNetwork
    url: str  # Org1MSP's REST service, started by `network up` as its own process

    def cli(self, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(app, [*args, "--data-dir", str(self.net.local.data_dir)])
        return result.exit_code, result.stdout, result.stderr

    def enroll(self, user: str, *options: str) -> str:
        """Enrol through the real CLI; return the API token it prints (its last stdout line)."""
        code, out, err = self.cli("rest", "enroll", user, "--org", "Org1MSP", *options)
        assert code == 0, (out, err)
        return out.strip().splitlines()[-1]

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def rest_network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RestNetwork]:
    with small_network(tmp_path_factory.mktemp("restnet"), rest=True) as net:
        [org1] = [r for r in net.local.rest_status() if r.msp_id == "Org1MSP"]
        assert org1.healthy
        yield RestNetwork(net, org1.url)
