"""Contracts: a class whose decorated public methods are the chaincode's functions.

Only methods marked @transaction or @query are callable from outside, so helpers on the class can never be invoked
by a client by accident. Signatures are inspected once, when the class is defined, so a contract whose annotations
the shim cannot decode fails at load time (install/start), not on the first transaction.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from gridledger.chaincode.codec import ArgumentError, Decoder, decoder_for

TRANSACTION = "transaction"
QUERY = "query"
_KIND = "__gridledger_function_kind__"
F = TypeVar("F", bound=Callable[..., Any])


def transaction(func: F) -> F:
    """Mark a method as a transaction: it may read and write state, and its writes are endorsed and ordered."""
    return _mark(func, TRANSACTION)


def query(func: F) -> F:
    """Mark a method as a query: it may only read (the stub refuses writes and events)."""
    return _mark(func, QUERY)


def _mark(func: F, kind: str) -> F:
    if not callable(func):
        raise TypeError(f"@{kind} decorates a method, got {func!r}")
    if func.__name__.startswith("_"):
        raise TypeError(f"@{kind} {func.__name__}: chaincode functions must be public (no leading underscore)")
    setattr(func, _KIND, kind)
    return func


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One callable function: its name, kind and how to decode its arguments."""

    name: str
    kind: str
    decoders: tuple[Decoder, ...]
    required: int
    varargs: Decoder | None
    param_names: tuple[str, ...]

    @property
    def read_only(self) -> bool:
        return self.kind == QUERY

    def decode(self, args: Sequence[bytes]) -> list[Any]:
        """Argument values for a call; ArgumentError names the argument that is wrong."""
        if len(args) < self.required or (self.varargs is None and len(args) > len(self.decoders)):
            expected = (f"at least {self.required}" if self.varargs is not None or len(self.decoders) > self.required
                        else str(self.required))
            names = ", ".join(self.param_names)
            raise ArgumentError(f"{self.name}({names}) takes {expected} argument(s), got {len(args)}")
        values = []
        for index, raw in enumerate(args):
            decode = self.decoders[index] if index < len(self.decoders) else self.varargs
            assert decode is not None
            try:
                values.append(decode(raw))
            except ArgumentError as exc:
                name = self.param_names[min(index, len(self.param_names) - 1)]
                raise ArgumentError(f"argument {index + 1} ({name}) of {self.name} {exc}") from None
        return values


def _inspect(name: str, kind: str, func: Callable[..., Any]) -> FunctionSpec:
    params = list(inspect.signature(func).parameters.values())
    if len(params) < 2 or params[1].kind not in (params[1].POSITIONAL_ONLY, params[1].POSITIONAL_OR_KEYWORD):
        raise TypeError(f"{name}: a chaincode function takes (self, stub, ...)")
    decoders: list[Decoder] = []
    names: list[str] = []
    required = 0
    varargs: Decoder | None = None
    for param in params[2:]:
        annotation = None if param.annotation is param.empty else param.annotation
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            decoders.append(decoder_for(annotation))
            names.append(param.name)
            if param.default is param.empty:
                required = len(decoders)
        elif param.kind is param.VAR_POSITIONAL:
            varargs = decoder_for(annotation)
            names.append("*" + param.name)
        elif param.kind is param.KEYWORD_ONLY and param.default is param.empty:
            raise TypeError(f"{name}: keyword-only parameter {param.name!r} needs a default (arguments are positional)")
    return FunctionSpec(name, kind, tuple(decoders), required, varargs, tuple(names))


class Contract:
    """Base class of every contract. Subclasses define @transaction and @query methods taking (self, stub, ...).

    A chaincode package exposes its contract as a module-level `CONTRACT = MyContract` in its `__init__.py`; the
    worker instantiates it once with no arguments and calls it for many transactions, so keep no per-transaction
    state on the instance (the ledger is the only state).
    """

    _functions: ClassVar[Mapping[str, FunctionSpec]] = MappingProxyType({})

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        functions: dict[str, FunctionSpec] = {}
        for klass in reversed(cls.__mro__):
            for name, attribute in vars(klass).items():
                kind = getattr(attribute, _KIND, None)
                if kind is not None:
                    functions[name] = _inspect(name, kind, attribute)
                else:
                    functions.pop(name, None)  # overridden without a decorator: no longer callable
        cls._functions = MappingProxyType(functions)

    @classmethod
    def functions(cls) -> Mapping[str, FunctionSpec]:
        """Callable functions by name."""
        return cls._functions
