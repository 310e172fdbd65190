"""Chooses the consenter plugin named by the channel config (`consensus.type`).

Adding a consensus type means adding one entry here; nothing else in the orderer changes.
"""

from __future__ import annotations

from collections.abc import Callable

from gridledger.orderer.consensus.bft.consenter import BftConsenter
from gridledger.orderer.consensus.plugin import Consenter, ConsenterSupport
from gridledger.orderer.consensus.raft import RaftConsenter
from gridledger.orderer.consensus.solo import SoloConsenter


class UnsupportedConsensus(ValueError):
    """The channel asks for a consensus type this orderer cannot run."""


PLUGINS: dict[str, Callable[[ConsenterSupport], Consenter]] = {
    "solo": SoloConsenter,
    "raft": RaftConsenter,
    "bft": BftConsenter,
}


def create_consenter(kind: str, support: ConsenterSupport) -> Consenter:
    factory = PLUGINS.get(kind)
    if factory is None:
        available = ", ".join(sorted(PLUGINS))
        raise UnsupportedConsensus(f"unknown consensus type {kind!r} in the channel config (available: {available})")
    return factory(support)
