"""Opening a node's LevelDB stores with errors that say what to do (another process, or corruption)."""

from __future__ import annotations

from pathlib import Path

import plyvel


def open_db(path: Path, what: str, error: type[Exception]) -> plyvel.DB:
    """Open or create the LevelDB at `path`; failures raise `error` naming `what` (e.g. "the block store")."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        return plyvel.DB(str(path), create_if_missing=True)
    except plyvel.IOError as exc:
        raise error(f"cannot open {what} in {path}: {exc} (is another orderer using this data_dir?)") from None
    except plyvel.CorruptionError as exc:
        raise error(f"{what} in {path} is corrupt: {exc}") from None
