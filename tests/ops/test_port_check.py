"""The local runner's port check agrees with how the servers bind (a listening port is taken, a port whose last
connection lingers in TIME_WAIT after a quick restart is free), and a network whose port is taken never starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gridledger.ops.localnet import LocalNetwork, NetworkError, _port_free
from gridledger.ops.netconfig import load_network
from tests.integration.network import write_network


def test_a_port_in_time_wait_is_free_and_a_listening_port_is_not() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    assert not _port_free(port)
    accepted.close()  # the server side closes first: its end of the connection enters TIME_WAIT
    client.close()
    server.close()
    assert _port_free(port)


def test_a_network_whose_port_another_process_holds_is_refused_before_any_node_starts(tmp_path: Path) -> None:
    network_file = write_network(tmp_path, orgs=1, peers_per_org=1)
    busy = load_network(network_file).peer_orgs[0].peers[0].port
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", busy))
        holder.listen()
        local = LocalNetwork(tmp_path / "data")
        with pytest.raises(NetworkError, match=f"port {busy} of peer0-org1 is in use"):
            local.up(network_file, rest=False)
        assert not any(status.running for status in local.status(local.definition()))
