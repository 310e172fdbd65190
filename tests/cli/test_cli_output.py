"""What the CLI prints when it is not talking to a terminal, and its errors for a wrong user or network file: no
network processes are needed (the data folder is made with crypto material only)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridledger.cli.app import app
from tests.integration.network import REPO
from tests.sdk.support import data_folder

SAMPLE = REPO / "deploy" / "traces" / "sample.csv"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return data_folder(tmp_path_factory.mktemp("cli"))


def test_a_piped_table_keeps_every_value_whole(tmp_path: Path) -> None:
    deep = tmp_path / ("a-folder-name-long-enough-to-pass-eighty-columns-on-its-own-" * 2) / "sample.csv"
    deep.parent.mkdir(parents=True)
    shutil.copy(SAMPLE, deep)
    code, out, _ = _run("trace", "info", str(deep))
    assert code == 0, out
    assert str(deep) in out  # the table's title, uncut
    assert all(len(line) > 80 for line in out.splitlines() if "a-folder-name" in line)
    assert "…" not in out


def test_json_instead_of_a_table() -> None:
    code, out, _ = _run("trace", "info", str(SAMPLE), "--json")
    assert code == 0
    info = json.loads(out)
    assert info["households"] == 63 and info["slots"] == info["last_slot"] - info["first_slot"] + 1


def test_invoke_as_a_user_who_is_not_a_client_lists_the_clients(data_dir: Path) -> None:
    code, _, err = _run("invoke", "kv", "put", "k", "v", "--user", "bob", "--data-dir", str(data_dir))
    assert code == 1
    assert "'bob' is not a client of Org1MSP" in err and "its clients are user1" in err
    code, _, err = _run("query", "kv", "get", "k", "--org", "Org9MSP", "--data-dir", str(data_dir))
    assert code == 1 and "Org9MSP is not a peer organisation" in err and "Org1MSP, Org2MSP" in err


def test_a_missing_network_file_lists_the_shipped_ones(tmp_path: Path) -> None:
    code, _, err = _run("network", "up", "--network", "deploy/networks/nope.yaml", "--data-dir", str(tmp_path))
    assert code == 2
    assert "deploy/networks/nope.yaml: no such network definition" in err
    for name in ("dev.yaml", "raft.yaml", "default.yaml"):
        assert f"deploy/networks/{name}" in err
    assert not (tmp_path / "network.json").exists()  # nothing was started or written
