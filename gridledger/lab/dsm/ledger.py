"""What a DSM agent needs from the chain: submit and evaluate as one identity, counted and timed.

The SDK's Contract does the work; the wrapper adds patience for the one refusal that is not a real one: an
endorser a block behind its peers answers 404/409 for a step the others have already committed (a house's offer
right after a reveal), so such a call is tried again a few times before it counts as refused.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from gridledger.sdk import ChaincodeError

CATCHING_UP = (404, 409)


class Chaincode(Protocol):
    """The part of gridledger.sdk.Contract the agents use (tests give an in-process ledger the same shape)."""

    async def submit(self, function: str, *args: Any) -> Any: ...

    async def evaluate(self, function: str, *args: Any) -> bytes: ...


@dataclass
class Usage:
    """Transactions an agent group committed and the seconds they spent waiting for commits."""

    transactions: int = 0
    seconds: float = 0.0

    def take(self) -> Usage:
        """The usage so far, and start counting again from zero."""
        taken = Usage(self.transactions, self.seconds)
        self.transactions, self.seconds = 0, 0.0
        return taken


@dataclass
class Ledger:
    """One identity's view of the DSM chaincode."""

    contract: Chaincode
    usage: Usage = field(default_factory=Usage)
    patience: int = 20
    pause_s: float = 0.05

    async def submit(self, function: str, *args: Any, catch_up: bool | tuple[int, ...] = False) -> Any:
        """The decoded JSON result of a committed transaction (None for an empty one). With `catch_up`, refusals
        with the statuses of CATCHING_UP (or those given) are tried again while an endorser catches up."""
        statuses = CATCHING_UP if catch_up is True else catch_up or ()
        for attempt in range(self.patience if statuses else 1):
            started = time.perf_counter()
            try:
                result = await self.contract.submit(function, *args)
            except ChaincodeError as error:
                if error.status not in statuses or attempt == self.patience - 1:
                    raise
                await asyncio.sleep(self.pause_s)
                continue
            finally:
                self.usage.seconds += time.perf_counter() - started
            self.usage.transactions += 1
            payload = result.payload
            return json.loads(payload) if payload else None
        raise AssertionError("unreachable")

    async def evaluate(self, function: str, *args: Any) -> Any:
        return json.loads(await self.contract.evaluate(function, *args))

    async def evaluate_once_there(self, function: str, *args: Any) -> Any:
        """A query of a record this peer may not have committed yet (another org's peer committed it first):
        asked again on 404 while the peer catches up."""
        for _ in range(self.patience - 1):
            try:
                return await self.evaluate(function, *args)
            except ChaincodeError as error:
                if error.status != 404:
                    raise
            await asyncio.sleep(self.pause_s)
        return await self.evaluate(function, *args)
