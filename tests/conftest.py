"""Shared fixtures: crypto material for small networks, made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridledger.ops import cryptogen
from gridledger.ops.netconfig import load_network

REPO = Path(__file__).resolve().parent.parent
NETWORKS = REPO / "deploy" / "networks"


@pytest.fixture(scope="session")
def raft_crypto(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(network file, crypto folder) for deploy/networks/raft.yaml."""
    network_file = NETWORKS / "raft.yaml"
    out = tmp_path_factory.mktemp("crypto-raft")
    cryptogen.generate(load_network(network_file), out)
    return network_file, out
