"""The ADMM aggregator chaincode (the paper's contract S1): registered bus agents submit their local copies, and
each close runs the pure aggregator step of common/opf on the ledger."""

from .contract import AggregatorContract

CONTRACT = AggregatorContract
