"""Test-only Byzantine behaviour of an orderer, chosen by the environment (docs/bft.md, "Byzantine test modes").

GRIDLEDGER_BFT_FAULT names the mode and GRIDLEDGER_ALLOW_FAULTS=1 must be set as well: an orderer asked to
misbehave without the second refuses to start, so a stray variable can never make a real network lie. Consensus
modes are applied by the bft plugin (consensus/bft/byzantine.py); the Deliver modes by orderer/deliver.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FAULT_VARIABLE = "GRIDLEDGER_BFT_FAULT"
ALLOW_VARIABLE = "GRIDLEDGER_ALLOW_FAULTS"
CONSENSUS_MODES = ("mute", "equivocate", "censor", "bad-votes", "replay")
DELIVER_MODES = ("withhold", "forge")  # towards peers: no blocks at all, or blocks whose signatures are forged
MODES = (*CONSENSUS_MODES, *DELIVER_MODES)


class FaultConfigError(ValueError):
    """A fault mode that is unknown, or asked for without the explicit permission variable."""


@dataclass(frozen=True)
class Fault:
    mode: str
    argument: str = ""  # censor: the MSP id whose clients' transactions are dropped


def fault_from_environment(environment: Mapping[str, str]) -> Fault | None:
    value = environment.get(FAULT_VARIABLE, "").strip()
    if not value:
        return None
    if environment.get(ALLOW_VARIABLE) != "1":
        raise FaultConfigError(f"{FAULT_VARIABLE}={value!r} makes this orderer Byzantine, which only tests may ask "
                               f"for: set {ALLOW_VARIABLE}=1 as well, or unset {FAULT_VARIABLE}")
    mode, _, argument = value.partition(":")
    if mode not in MODES:
        raise FaultConfigError(f"unknown {FAULT_VARIABLE} mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "censor" and not argument:
        raise FaultConfigError(f"{FAULT_VARIABLE}=censor needs the MSP id to censor, e.g. censor:Org2MSP")
    return Fault(mode, argument)
