"""Chaos runs (`gridledger chaos run`, docs/reliability.md): a network under a bench workload while a seeded
schedule injects faults, then healed and judged from a recorded history.

schedule.py draws the faults, profiles.py holds the link presets, inject/ applies faults to local processes or
containers, workload.py drives the workload and writes the history (history.py), ledgers.py reads every node's
chain back, checker.py judges, runner.py runs the schedules in order and report.py writes the tables and report.html.
"""
