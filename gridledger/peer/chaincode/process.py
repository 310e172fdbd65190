"""One chaincode worker process as the peer sees it: start it, exchange messages with deadlines, kill it.

Workers start with a clean, fixed environment: PYTHONHASHSEED=0 makes set and dict-of-str iteration identical on
every endorser, no user site-packages or current directory on the path, no bytecode written into installed
packages, and the worker runs in its own session so a Ctrl-C meant for the peer does not hit it half-way.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from google.protobuf.message import DecodeError

import gridledger
from gridledger.peer.chaincode.framing import ChannelClosed, ChannelTimeout, HostChannel
from gridledger.v1 import chaincode_pb2

WORKER_MODULE = "gridledger.peer.chaincode.worker"
_SOURCE_ROOT = str(Path(gridledger.__file__).resolve().parent.parent)


class WorkerGone(Exception):
    """The worker died, closed its pipes or broke the protocol; it must be discarded."""


class WorkerTimeout(Exception):
    """The worker did not answer in time; it must be killed."""


class WorkerStartError(Exception):
    """The worker could not start or could not load its chaincode."""


def worker_environment() -> dict[str, str]:
    return {
        "PYTHONPATH": _SOURCE_ROOT,
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONSAFEPATH": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONUTF8": "1",
        "LC_ALL": "C.UTF-8",
        "PATH": os.defpath,
        "TZ": "UTC",
    }


class WorkerProcess:
    """A running worker for the chaincode in `folder`. Not thread-safe: one invocation uses it at a time."""

    def __init__(self, name: str, folder: Path, python: str = sys.executable) -> None:
        self.name = name
        self.folder = folder
        self._process = subprocess.Popen(
            [python, "-m", WORKER_MODULE, str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=worker_environment(), cwd=str(folder), close_fds=True, start_new_session=True, bufsize=0,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._channel = HostChannel(self._process.stdout.fileno(), self._process.stdin.fileno())

    @classmethod
    def start(cls, name: str, folder: Path, timeout_s: float, python: str = sys.executable) -> WorkerProcess:
        """Start a worker and wait until its contract is loaded; WorkerStartError if it fails or takes too long."""
        try:
            worker = cls(name, folder, python)
        except OSError as exc:
            raise WorkerStartError(f"cannot start a worker for chaincode {name!r}: {exc}") from None
        try:
            message = worker.receive(time.monotonic() + timeout_s)
        except WorkerTimeout:
            worker.kill()
            raise WorkerStartError(f"chaincode {name!r} did not start within {timeout_s:g} s") from None
        except WorkerGone as exc:
            worker.kill()
            raise WorkerStartError(f"chaincode {name!r} worker exited while starting ({exc})") from None
        if message.WhichOneof("kind") != "ready" or message.ready.error:
            worker.kill()
            reason = message.ready.error if message.WhichOneof("kind") == "ready" else "protocol error"
            raise WorkerStartError(f"chaincode {name!r} failed to load: {reason}")
        return worker

    @property
    def pid(self) -> int:
        return self._process.pid

    def alive(self) -> bool:
        return self._process.poll() is None

    def send(self, message: chaincode_pb2.HostToWorker, deadline: float) -> None:
        try:
            self._channel.send(message.SerializeToString(), deadline)
        except ChannelTimeout:
            raise WorkerTimeout from None
        except ChannelClosed as exc:
            raise WorkerGone(self._exit_reason(str(exc))) from None

    def receive(self, deadline: float) -> chaincode_pb2.WorkerToHost:
        try:
            payload = self._channel.receive(deadline)
            return chaincode_pb2.WorkerToHost.FromString(payload)
        except ChannelTimeout:
            raise WorkerTimeout from None
        except ChannelClosed as exc:
            raise WorkerGone(self._exit_reason(str(exc))) from None
        except DecodeError:
            raise WorkerGone("the worker sent a malformed message") from None

    def _exit_reason(self, detail: str) -> str:
        try:
            code = self._process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            return detail
        return f"worker exited with status {code}"

    def kill(self) -> None:
        """Kill at once (a spinning contract never reads its pipe) and reap, so no zombie is left."""
        if self._process.poll() is None:
            self._process.kill()
        self._reap()

    def stop(self, grace_s: float = 1.0) -> None:
        """Ask the worker to exit by closing its input; kill it if it does not within `grace_s`."""
        with contextlib.suppress(OSError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
