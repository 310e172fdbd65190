"""How every command prints: Rich consoles for stdout and stderr, and `--json` for the commands that print tables.

A terminal gets tables as wide as it is. Anything else (a pipe, a file, a CI log) gets every value in full: Rich
would otherwise assume 80 columns there and cut cells (`peer0-o…`, `127.0.0…`). `--json` prints the same data as
one JSON document on stdout, for programs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import typer
from rich.console import Console, ConsoleDimensions

UNCUT_WIDTH = 10_000  # wide enough for any row; Rich tables take only the width their cells need


class _Console(Console):
    """A console that, when not writing to a terminal, never cuts or wraps a line at a guessed width."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self.is_terminal or self._width is not None:
            return size
        return ConsoleDimensions(UNCUT_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


console = _Console(soft_wrap=True)
err = _Console(stderr=True, soft_wrap=True)

JsonOption = typer.Option(False, "--json", help="print JSON instead of a table")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def print_json(data: Any) -> None:
    """One JSON document on stdout (dataclasses as objects, paths as text), never wrapped or coloured."""
    print(json.dumps(data, indent=2, default=_plain))
