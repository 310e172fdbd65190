"""Importing the optional extra `opf` (cvxpy, Clarabel, pandapower) on use, with a message that names it.

The rest of gridledger runs without these packages; only the OPF solvers, feeders and experiments need them.
"""

from __future__ import annotations

import importlib
from types import ModuleType

MISSING = "the OPF solvers need the optional packages of the extra opf; install them with: pip install -e '.[opf]'"


class OpfExtraMissing(RuntimeError):
    """A package of the `opf` extra is not installed; the message says how to install it."""


def require(name: str) -> ModuleType:
    """Import one package of the extra (cvxpy, pandapower, pandapower.networks, simbench)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise OpfExtraMissing(f"{MISSING} ({exc.name} is missing)") from exc
