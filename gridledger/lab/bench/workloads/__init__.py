"""Built-in workloads by name, and loading a user's workload class from `package.module:ClassName`."""

from __future__ import annotations

import importlib

from gridledger.lab.bench.workloads.base import Transaction, WorkerSlot, Workload
from gridledger.lab.bench.workloads.kv_blind_write import KvBlindWrite
from gridledger.lab.bench.workloads.kv_hot_key import KvHotKey
from gridledger.lab.bench.workloads.kv_read_write import KvReadWrite
from gridledger.lab.bench.workloads.market_order import MarketOrder

WORKLOADS: dict[str, type[Workload]] = {cls.name: cls for cls in (KvBlindWrite, KvReadWrite, KvHotKey, MarketOrder)}

__all__ = ["WORKLOADS", "KvBlindWrite", "KvHotKey", "KvReadWrite", "MarketOrder", "Transaction", "WorkerSlot",
           "Workload", "workload_class"]


def workload_class(name: str) -> type[Workload]:
    """A built-in workload by name, or `module:Class` for one defined elsewhere."""
    if name in WORKLOADS:
        return WORKLOADS[name]
    if ":" not in name:
        raise ValueError(f"unknown workload {name!r}; built in: {', '.join(WORKLOADS)} (or give module:Class)")
    module, _, attribute = name.partition(":")
    found = getattr(importlib.import_module(module), attribute, None)
    if not (isinstance(found, type) and issubclass(found, Workload)):
        raise ValueError(f"{name} is not a Workload subclass")
    return found
