"""`gridledger bench`: Caliper-like benchmark rounds against a network started for the run.

The coordinator (runner.py) starts the network, deploys the workload's chaincode, drives worker processes
(worker.py) at a target rate (rates.py), and gathers per-round results (stats.py) with node metrics, resource use,
blocks and the in-run crypto bound; output.py writes JSON, CSV and an HTML report.
"""
