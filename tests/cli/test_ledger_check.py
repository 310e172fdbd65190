"""The verify commands share one way of reading a running network (cli/ledger.py): without a network in the data
folder they exit 1 and say how to start one, instead of a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app


@pytest.mark.parametrize("command", [["opf", "verify", "run-1"], ["dsm", "verify", "nb-1", "0"]])
def test_verify_without_a_network_exits_1_naming_network_up(command: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, [*command, "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no network in" in result.output and "gridledger network up --local" in result.output
