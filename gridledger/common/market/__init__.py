"""Market logic shared by the market chaincode and by clients that recompute its results.

Everything here is pure and deterministic (integers only for energy, prices and money), so a peer clearing a slot
and `gridledger market verify` recomputing it from the ledger can never disagree. The contract is docs/market.md.
"""
