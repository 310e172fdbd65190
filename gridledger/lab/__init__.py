"""The research harness: household traces, market agents, experiments, benchmarks and their reports."""
