"""Finding the contract in a chaincode folder.

A chaincode is a Python package folder whose `__init__.py` sets `CONTRACT` to its Contract subclass. It is imported
under a fixed module name rather than its folder name, because installed folders are named by package id
("label:hash"), which is no valid module name; relative imports inside the package work as usual.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from gridledger.chaincode.contract import Contract

MODULE_NAME = "gridledger_chaincode_under_test"
ENTRY = "CONTRACT"


class ContractLoadError(Exception):
    """The folder is not a loadable chaincode."""


def load_contract(folder: str | Path, module_name: str = MODULE_NAME) -> Contract:
    """Import the package at `folder` and instantiate its CONTRACT class."""
    root = Path(folder)
    init = root / "__init__.py"
    if not init.is_file():
        raise ContractLoadError(f"{root} is not a chaincode package: it has no __init__.py")
    spec = importlib.util.spec_from_file_location(module_name, init, submodule_search_locations=[str(root)])
    if spec is None or spec.loader is None:
        raise ContractLoadError(f"cannot import {init}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise ContractLoadError(f"importing the chaincode failed: {type(exc).__name__}: {exc}") from exc
    contract_class = getattr(module, ENTRY, None)
    if not (isinstance(contract_class, type) and issubclass(contract_class, Contract)):
        raise ContractLoadError(f"the chaincode's __init__.py must set {ENTRY} to a Contract subclass")
    if not contract_class.functions():
        raise ContractLoadError(f"{contract_class.__name__} has no @transaction or @query functions")
    try:
        return contract_class()
    except Exception as exc:
        raise ContractLoadError(f"{contract_class.__name__}() failed: {type(exc).__name__}: {exc}") from exc
