"""Sample key/value chaincode with integer balances; used by tests, demos and benchmarks."""

from .contract import KeyValue

CONTRACT = KeyValue
