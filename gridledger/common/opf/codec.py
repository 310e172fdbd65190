"""The JSON forms of a feeder and of an aggregator state, as the chaincode stores them and `opf verify` reads them.

Feeder floats travel as JSON numbers (Python's shortest round-trip repr), so every endorser rebuilds the same
Feeder; the state is integers only. Reading validates everything, so a malformed stored value cannot run.
"""

from __future__ import annotations

import math

from gridledger.common.opf.aggregator import AdmmState
from gridledger.common.opf.feeder import Feeder, FeederError

_FEEDER_TUPLES = ("parent", "r", "x", "line_limit", "vmin", "vmax", "p_load", "q_load")


def feeder_to_json(feeder: Feeder) -> dict:
    data: dict = {"name": feeder.name, "base_mva": feeder.base_mva, "base_kv": feeder.base_kv,
                  "v_root": feeder.v_root}
    for name in _FEEDER_TUPLES:
        data[name] = [None if isinstance(v, float) and math.isinf(v) else v for v in getattr(feeder, name)]
    return data  # an infinite line limit (no rating) is null: JSON has no infinity


def feeder_from_json(data: object) -> Feeder:
    if not isinstance(data, dict) or set(data) != {"name", "base_mva", "base_kv", "v_root", *_FEEDER_TUPLES}:
        raise FeederError(f"a feeder is an object with name, base_mva, base_kv, v_root, {', '.join(_FEEDER_TUPLES)}")
    values = {}
    for name in _FEEDER_TUPLES:
        column = data[name]
        if not isinstance(column, list):
            raise FeederError(f"feeder {name} must be a list")
        if name == "parent":
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in column):
                raise FeederError("feeder parent must list integers")
            values[name] = tuple(column)
            continue
        if name == "line_limit":
            column = [math.inf if v is None else v for v in column]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in column):
            raise FeederError(f"feeder {name} must list numbers")
        values[name] = tuple(float(v) for v in column)
    numbers = [data[k] for k in ("base_mva", "base_kv", "v_root")]
    if not isinstance(data["name"], str) or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                                    for v in numbers):
        raise FeederError("feeder name must be a string and base_mva, base_kv, v_root numbers")
    return Feeder(data["name"], float(numbers[0]), float(numbers[1]), values["parent"], values["r"], values["x"],
                  values["line_limit"], values["vmin"], values["vmax"], float(numbers[2]), values["p_load"],
                  values["q_load"])


def state_to_json(state: AdmmState) -> dict:
    return {"iteration": state.iteration, "z": list(state.z), "duals": [list(d) for d in state.duals],
            "copies": [None if c is None else list(c) for c in state.copies], "primal_sq": state.primal_sq,
            "dual_sq": state.dual_sq, "converged": state.converged, "missed": state.missed}


def state_from_json(data: dict) -> AdmmState:
    """The chaincode wrote it; a KeyError or TypeError here means corrupted state, not user input."""
    return AdmmState(int(data["iteration"]), tuple(data["z"]), tuple(tuple(d) for d in data["duals"]),
                     tuple(None if c is None else tuple(c) for c in data["copies"]), int(data["primal_sq"]),
                     int(data["dual_sq"]), bool(data["converged"]), int(data["missed"]))
