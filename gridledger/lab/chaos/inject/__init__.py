"""Injectors: the faults of a schedule applied to a running network (base.py dispatches; local.py acts on local
processes, docker.py on containers)."""

from gridledger.lab.chaos.inject.base import FaultDriver, Injector, Unsupported

__all__ = ["FaultDriver", "Injector", "Unsupported"]
