"""Helpers for peer unit tests: identities, and a runtime that returns a fixed simulation outcome."""

from __future__ import annotations

from pathlib import Path

from gridledger.common import material, msp
from gridledger.peer.runtime import SimulationOutcome

CHANNEL = "energy"


def member(raft_crypto: tuple[Path, Path], msp_id: str, name: str) -> msp.SigningIdentity:
    return material.load_identity(raft_crypto[1], msp_id, name)


def rogue_identity(msp_id: str = "Org1MSP", role: str = "client") -> msp.SigningIdentity:
    """An identity from a CA the channel does not know."""
    pair = msp.issue_identity(msp.new_signing_ca(msp_id), "mallory", role)
    return msp.SigningIdentity.from_pem(msp_id, pair.cert_pem, pair.key_pem)


class RecordingRuntime:
    """Returns a fixed outcome (or raises) and records what it was asked: the runtime itself is tested with real
    worker processes in tests/chaincode and tests/integration."""

    def __init__(self, outcome: SimulationOutcome | Exception) -> None:
        self.outcome = outcome
        self.calls: list[str] = []

    def simulate(self, opened, creator) -> SimulationOutcome:
        self.calls.append(opened.invocation.chaincode)
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome
