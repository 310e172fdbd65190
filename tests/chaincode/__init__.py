"""Tests of the chaincode shim, the simulator, the worker host, packaging and the install store."""
