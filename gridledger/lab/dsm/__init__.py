"""Demand-side management on the ledger: house agents, the day coordinator, experiments and verification
(docs/dsm.md)."""
