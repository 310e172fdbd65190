"""The CLI's granular lifecycle commands on a 2-org network: a commit without every needed approval is refused and
says which org is missing; after both approve, the chaincode runs and `ledger verify` passes."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from tests.integration.network import REPO, ItNetwork

pytestmark = pytest.mark.integration


def cli(net: ItNetwork, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--data-dir", str(net.local.data_dir)])
    return result.exit_code, result.output


def test_granular_lifecycle_and_verify(two_org_network: ItNetwork) -> None:
    net = two_org_network
    code, out = cli(net, "chaincode", "install", "--path", str(REPO / "gridledger" / "chaincode" / "kv"),
                    "--label", "kvtwo")
    assert code == 0, out
    package_id = out.strip().splitlines()[-1]
    assert package_id.startswith("kvtwo:")
    definition = ["--name", "kvtwo", "--package-id", package_id]
    code, out = cli(net, "chaincode", "approve", *definition, "--org", "Org1MSP")
    assert code == 0, out
    code, out = cli(net, "chaincode", "readiness", *definition)
    assert code == 0 and "ready to commit: False" in out, out
    code, out = cli(net, "chaincode", "commit", *definition)
    assert code == 1 and "missing approvals from Org2MSP" in out, out
    code, out = cli(net, "chaincode", "approve", *definition, "--org", "Org2MSP")
    assert code == 0, out
    code, out = cli(net, "chaincode", "commit", *definition)
    assert code == 0, out
    code, out = cli(net, "invoke", "kvtwo", "put", "feeder-7", "230V")
    assert code == 0 and "VALID" in out, out
    code, out = cli(net, "query", "kvtwo", "get", "feeder-7", "--org", "Org2MSP")
    assert code == 0 and "230V" in out, out
    code, out = cli(net, "ledger", "verify")
    assert code == 0 and "ledger verified" in out, out
