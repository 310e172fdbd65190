"""The energy market chaincode: sealed orders, phases gated by the ledger clock, clearing and settlement."""

from .contract import MarketContract

CONTRACT = MarketContract
