"""Length-prefixed frames over the pipes between the peer and a chaincode worker.

The peer side never blocks without a deadline: a worker that stops reading or writing mid-message must not stall
the thread serving a proposal, so the peer's end of each pipe is non-blocking and waited on with poll() (not
select(), which fails for descriptors above 1024 in a busy peer). The worker side trusts the peer and simply blocks.
"""

from __future__ import annotations

import errno
import os
import select
import time
from typing import BinaryIO

HEADER_SIZE = 4
MAX_FRAME = 64 * 1024 * 1024


class ChannelClosed(Exception):
    """The other end closed its pipe (the worker exited or died) or broke the framing."""


class ChannelTimeout(Exception):
    """The deadline passed before a whole frame was sent or received."""


def frame(payload: bytes) -> bytes:
    if len(payload) > MAX_FRAME:
        raise ValueError(f"message of {len(payload)} bytes exceeds the {MAX_FRAME}-byte frame limit")
    return len(payload).to_bytes(HEADER_SIZE, "big") + payload


class HostChannel:
    """The peer's end: non-blocking reads and writes, each bounded by a monotonic deadline."""

    def __init__(self, read_fd: int, write_fd: int, max_frame: int = MAX_FRAME) -> None:
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._max_frame = max_frame
        self._buffer = bytearray()

    def _wait(self, fd: int, event: int, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ChannelTimeout
        poller = select.poll()
        poller.register(fd, event)
        if not poller.poll(remaining * 1000):
            raise ChannelTimeout

    def send(self, payload: bytes, deadline: float) -> None:
        view = memoryview(frame(payload))
        while view:
            try:
                written = os.write(self._write_fd, view)
            except BlockingIOError:
                self._wait(self._write_fd, select.POLLOUT, deadline)
                continue
            except (BrokenPipeError, OSError) as exc:
                raise ChannelClosed(f"cannot write to the worker: {exc}") from None
            view = view[written:]

    def _fill(self, size: int, deadline: float) -> None:
        while len(self._buffer) < size:
            try:
                chunk = os.read(self._read_fd, max(65536, size - len(self._buffer)))
            except BlockingIOError:
                self._wait(self._read_fd, select.POLLIN, deadline)
                continue
            except OSError as exc:
                if exc.errno == errno.EINTR:
                    continue
                raise ChannelClosed(f"cannot read from the worker: {exc}") from None
            if not chunk:
                raise ChannelClosed("the worker closed its output")
            self._buffer += chunk

    def receive(self, deadline: float) -> bytes:
        self._fill(HEADER_SIZE, deadline)
        size = int.from_bytes(self._buffer[:HEADER_SIZE], "big")
        if size > self._max_frame:
            raise ChannelClosed(f"the worker sent a {size}-byte frame (limit {self._max_frame})")
        self._fill(HEADER_SIZE + size, deadline)
        payload = bytes(self._buffer[HEADER_SIZE : HEADER_SIZE + size])
        del self._buffer[: HEADER_SIZE + size]
        return payload


class WorkerChannel:
    """The worker's end: plain blocking binary streams."""

    def __init__(self, reader: BinaryIO, writer: BinaryIO) -> None:
        self._reader = reader
        self._writer = writer

    def send(self, payload: bytes) -> None:
        self._writer.write(frame(payload))
        self._writer.flush()

    def receive(self) -> bytes | None:
        """The next frame, or None when the peer closed the pipe between frames."""
        header = self._reader.read(HEADER_SIZE)
        if not header:
            return None
        if len(header) < HEADER_SIZE:
            raise ChannelClosed("the peer closed the pipe inside a frame header")
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            raise ChannelClosed(f"frame of {size} bytes exceeds the limit")
        payload = self._reader.read(size)
        if len(payload) < size:
            raise ChannelClosed("the peer closed the pipe inside a frame")
        return payload
