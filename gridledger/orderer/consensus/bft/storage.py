"""The replica's durable consensus state (BftState): one small file, replaced atomically and synced.

Written before any message that depends on it leaves (the consenter's loop awaits `save`), so a vote or a timeout,
once sent, is never forgotten by a restart: the replica cannot vote twice in one view and height, nor vote again
in a view it timed out, nor lose the certificate it reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from gridledger.v1 import bft_pb2


class BftStorageError(Exception):
    """The state file exists but cannot be read: starting without it could make this replica equivocate."""


class BftStorage:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / "state.pb"
        self._folder = folder

    def load(self) -> bft_pb2.BftState:
        try:
            data = self._path.read_bytes()
        except FileNotFoundError:
            return bft_pb2.BftState()
        try:
            return bft_pb2.BftState.FromString(data)
        except Exception as exc:  # DecodeError
            raise BftStorageError(f"{self._path} is not a valid BftState ({exc}); it was written atomically, so "
                                  "this is disk corruption: restore the file or the whole data_dir") from None

    def save(self, state: bft_pb2.BftState) -> None:
        temporary = self._path.with_suffix(".tmp")
        with open(temporary, "wb") as out:
            out.write(state.SerializeToString())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self._path)
        descriptor = os.open(self._folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
