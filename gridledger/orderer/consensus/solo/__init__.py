"""Solo ordering: one orderer, no replication, for tests and dev.yaml (see consenter.py)."""

from gridledger.orderer.consensus.solo.consenter import SoloConsenter

__all__ = ["SoloConsenter"]
