"""The local runner's port check agrees with how the servers bind: a listening port is taken, a port whose last
connection lingers in TIME_WAIT (a quick restart) is free."""

from __future__ import annotations

import socket

from gridledger.ops.localnet import _port_free


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
