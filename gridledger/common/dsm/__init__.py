"""Demand-side management by Profile Steering, pure and deterministic: battery models and the battery planner,
the Profile Steering iteration, stake rewards and the proof-of-work puzzle. Shared by the DSM chaincode, the house
agents and `dsm verify`, so every party computes the same integers (docs/dsm.md)."""
