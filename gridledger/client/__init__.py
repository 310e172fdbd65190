"""Clients: the SDK, the command line, agents, benchmarks and experiments."""
