"""The link-fault layer: partitions, delay, jitter, loss and bandwidth caps on a node's real gRPC connections, for
chaos runs on local processes (gridledger/lab/chaos; docs/reliability.md). Off unless a node config sets
`fault_injection: true`, and then switched at run time through the node's operations endpoint (/faults/links).

When on, every channel this process opens to another node (grpcutil.aio_channel, the orderers' cluster transport
and block catch-up) dials a forwarder on 127.0.0.1 instead, one per destination address, which copies TCP bytes
both ways and applies the destination's entry of the link table:
- blocked: open connections are closed and new ones refused, so the caller sees what a reset link gives it
  (UNAVAILABLE, reconnects); both ends of a partition get an entry, so no connection crosses it in either direction;
- delay and jitter: each chunk of bytes waits delay +- jitter, never overtaking the chunk before it (TCP's order);
- loss: TCP has no lost bytes, only retransmissions, so a lost chunk waits one retransmission timeout longer;
- bandwidth: chunks of one link and direction share a token bucket of that rate.
Clients outside the nodes (the SDK in another process) are not affected: the layer models the links between nodes.
The table is kept in a file in the node's data folder, so a node restarted during a partition stays cut off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

LOOPBACK = "127.0.0.1"
TABLE_FILE = "linkfaults.json"  # in the node's data folder
CHUNK_BYTES = 64 * 1024
MIN_RETRANSMISSION_S = 0.2  # Linux's minimum TCP retransmission timeout
Address = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.\-]{1,253}:[0-9]{1,5}$")]


class LinkFaultError(ValueError):
    """A link table that cannot be applied; the message says which entry and why."""


class LinkFault(BaseModel):
    """What the link towards one destination does to its traffic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blocked: bool = False
    delay_ms: float = Field(default=0.0, ge=0, le=60_000, description="one way, each direction")
    jitter_ms: float = Field(default=0.0, ge=0, le=60_000)
    loss: float = Field(default=0.0, ge=0, lt=1, description="share of chunks that wait a retransmission")
    bandwidth_kbps: float | None = Field(default=None, gt=0, le=100_000_000)

    def retransmission_s(self) -> float:
        """What a lost chunk costs: one retransmission timeout, at least Linux's minimum, else twice the RTT."""
        return max(MIN_RETRANSMISSION_S, 4 * self.delay_ms / 1000)


CLEAR = LinkFault()


class LinkTable(BaseModel):
    """Destination address (host:port, as the node dials it) -> its link fault; absent destinations are clear."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    links: dict[Address, LinkFault] = Field(default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes | str) -> LinkTable:
        try:
            return cls.model_validate_json(raw)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors())
            raise LinkFaultError(f"not a valid link table: {problems}") from None


class _Link:
    """The forwarder towards one destination and the connections it carries."""

    def __init__(self, layer: LinkFaultLayer, target: str) -> None:
        self.layer = layer
        self.target = target
        host, _, port = target.rpartition(":")
        self._host, self._port = host, int(port)
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((LOOPBACK, 0))
        listener.listen(128)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        # The kernel queues connections from the moment listen() returns; serving starts on the loop.
        self._serving = asyncio.get_running_loop().create_task(self._serve(listener))
        self._writers: set[asyncio.StreamWriter] = set()
        self._busy_until = {"out": 0.0, "in": 0.0}  # the token bucket of each direction, as a loop time

    async def _serve(self, listener: socket.socket) -> None:
        server = await asyncio.start_server(self._accept, sock=listener)
        async with server:
            await server.serve_forever()

    def cut(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()

    async def _accept(self, inbound_reader: asyncio.StreamReader, inbound: asyncio.StreamWriter) -> None:
        if self.layer.fault_for(self.target).blocked:
            inbound.transport.abort()
            return
        try:
            outbound_reader, outbound = await asyncio.open_connection(self._host, self._port)
        except OSError:
            inbound.transport.abort()
            return
        self._writers.update((inbound, outbound))
        pumps = [asyncio.ensure_future(self._pump(inbound_reader, outbound, "out")),
                 asyncio.ensure_future(self._pump(outbound_reader, inbound, "in"))]
        try:
            # One side closing or resetting ends the connection: a client left half-open towards a dead server
            # would wait for its keepalive to notice.
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # the node is stopping: drop the connection quietly
        finally:
            for pump in pumps:
                pump.cancel()
            for writer in (inbound, outbound):
                self._writers.discard(writer)
                writer.transport.abort()

    def _release_time(self, direction: str, size: int, last_release: float) -> float:
        fault = self.layer.fault_for(self.target)
        now = asyncio.get_running_loop().time()
        start = now
        if fault.bandwidth_kbps is not None:
            start = max(now, self._busy_until[direction])
            start += size * 8 / (fault.bandwidth_kbps * 1000)
            self._busy_until[direction] = start
        delay = fault.delay_ms / 1000 + self.layer.rng.uniform(-fault.jitter_ms, fault.jitter_ms) / 1000
        if fault.loss and self.layer.rng.random() < fault.loss:
            delay += fault.retransmission_s()
        return max(start + max(delay, 0.0), last_release)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str) -> None:
        """Copy one direction; each chunk is written at its release time, in order. A closed or reset side ends
        both directions (the caller aborts both transports)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                release, chunk = await queue.get()
                if not chunk:
                    return
                await asyncio.sleep(max(0.0, release - loop.time()))
                writer.write(chunk)
                await writer.drain()

        delivering = loop.create_task(deliver())
        last_release = 0.0
        try:
            while True:
                chunk = await reader.read(CHUNK_BYTES)
                last_release = self._release_time(direction, len(chunk), last_release) if chunk else last_release
                queue.put_nowait((last_release, chunk))
                if not chunk or delivering.done():
                    break
            await delivering
        except (OSError, RuntimeError):  # reset, or written after the other side's transport closed
            pass
        finally:
            delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError, RuntimeError):
                await delivering


class LinkFaultLayer:
    """This process's link table and forwarders (one layer per node process)."""

    def __init__(self, state_file: Path) -> None:
        self.state_file = state_file
        self.rng = random.Random()
        self.table = LinkTable.parse(state_file.read_bytes()) if state_file.exists() else LinkTable()
        self._links: dict[str, _Link] = {}

    def fault_for(self, target: str) -> LinkFault:
        return self.table.links.get(target, CLEAR)

    def route(self, target: str) -> str:
        """The address to dial for `target`: its forwarder, started on first use."""
        link = self._links.get(target)
        if link is None:
            link = self._links[target] = _Link(self, target)
        return f"{LOOPBACK}:{link.port}"

    def apply(self, table: LinkTable) -> None:
        """Make `table` the link table (saved first, so a restart keeps it) and cut connections it blocks."""
        temporary = self.state_file.with_suffix(".tmp")
        temporary.write_text(table.model_dump_json())
        os.replace(temporary, self.state_file)
        self.table = table
        for target, link in self._links.items():
            if self.fault_for(target).blocked:
                link.cut()

    def describe(self) -> dict[str, object]:
        return {"links": json.loads(self.table.model_dump_json())["links"], "forwarded": sorted(self._links)}


_layer: LinkFaultLayer | None = None


def enable(state_file: Path) -> LinkFaultLayer:
    """Turn the layer on for this process (a node whose config asks for fault injection, at start)."""
    global _layer
    _layer = LinkFaultLayer(state_file)
    return _layer


def route(target: str) -> tuple[str, list[tuple[str, str]]]:
    """Where a channel to `target` connects, and the channel options that keep TLS checking the real server's
    name; unchanged when the layer is off."""
    if _layer is None:
        return target, []
    host = target.rpartition(":")[0]
    options = [] if host in (LOOPBACK, "localhost") else [("grpc.ssl_target_name_override", host)]
    return _layer.route(target), options
