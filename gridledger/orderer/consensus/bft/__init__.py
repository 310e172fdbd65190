"""The BFT consenter: f Byzantine orderers out of 3f+1 (docs/bft.md)."""
