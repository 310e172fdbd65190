"""A house's agent: it joins with its battery, and each day sends what its neighbourhood's method asks for.

Method 1: the base load. Method 2: its initial plan, then per iteration an offer (the gain of its candidate over
the aggregate the ledger records, and a commitment to the candidate), and the candidate itself when chosen. Its
base load never leaves the agent under method 2. Proof of work: random nonces, one attempt per `attempt_delay_s`,
until a proof is found or another house has won the day.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field

from gridledger.common.dsm import pow as proof_of_work
from gridledger.common.dsm.battery import Battery
from gridledger.common.dsm.profiles import SALT_BYTES, commitment
from gridledger.common.dsm.steering import House, Profile, candidate, initial_profile
from gridledger.lab.dsm.ledger import Ledger
from gridledger.sdk import ChaincodeError, TransactionInvalid

POLL_S = 0.02


@dataclass
class HouseAgent:
    house_id: str
    battery: Battery
    ledger: Ledger
    nb: str
    base: Profile = ()
    profile: Profile = ()  # the house's profile as the ledger has accepted it
    _pending: tuple[Profile, bytes] | None = field(default=None, repr=False)

    def _home(self) -> House:
        return House(self.house_id, self.base, self.battery)

    async def join(self) -> None:
        await self.ledger.submit("join", self.nb, self.battery.to_json())

    async def send_base(self, day: int, base: Profile) -> None:
        """Method 1."""
        self.base = base
        await self.ledger.submit("submit_base", self.nb, day, list(base), catch_up=True)

    async def send_initial(self, day: int, base: Profile) -> None:
        """Method 2: plan alone, publish only the resulting profile."""
        self.base = base
        self.profile = initial_profile(self._home())
        await self.ledger.submit("submit_initial", self.nb, day, list(self.profile), catch_up=True)

    async def _record_at(self, day: int, iteration: int, timeout_s: float) -> dict:
        """The day as this house's peer has it once it reached `iteration` (it may be a block behind)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            record = await self.ledger.evaluate_once_there("get_day", self.nb, day)
            if record["iteration"] >= iteration and record["status"] != "chosen":
                return record
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{self.house_id}: day {day} did not reach iteration {iteration}")
            await asyncio.sleep(POLL_S)

    async def offer(self, day: int, iteration: int, timeout_s: float = 10.0) -> tuple[str, int] | None:
        """Method 2: plan a candidate against the recorded aggregate and offer it; returns (house, gain), or None
        when the day has moved on."""
        record = await self._record_at(day, iteration, timeout_s)
        if record["status"] != "iterating" or record["iteration"] != iteration:
            return None
        found = candidate(0, self._home(), self.profile, tuple(record["aggregate"]))
        salt = os.urandom(SALT_BYTES)
        self._pending = (found.profile, salt)
        await self.ledger.submit("offer", self.nb, day, iteration, found.gain, commitment(found.profile, salt),
                                 catch_up=True)
        return self.house_id, found.gain

    async def reveal(self, day: int) -> dict:
        """Method 2, when chosen: open the commitment; the ledger applies the candidate if it checks out and
        answers the day's summary after it."""
        if self._pending is None:
            raise RuntimeError(f"{self.house_id} has no candidate to reveal")
        planned, salt = self._pending
        summary = await self.ledger.submit("reveal", self.nb, day, list(planned), salt.hex(), catch_up=True)
        self.profile, self._pending = planned, None
        return summary

    async def wait_open(self, day: int) -> None:
        """Until this house's peer has committed the day's opening (another org's peer may have it first)."""
        await self.ledger.evaluate_once_there("get_day", self.nb, day)

    async def mine(self, day: int, seed: bytes, target_bits: int, attempt_delay_s: float,
                   rng: random.Random) -> tuple[int, bool]:
        """Proof of work: attempts until this house claims the day or finds it claimed; returns the attempts and
        whether this house won. Call it once the day is open on the house's peer (wait_open)."""
        attempts = 0
        while True:
            attempts += 1
            nonce = proof_of_work.attempt(rng, seed, self.house_id, target_bits)
            if nonce is not None:
                try:
                    await self.ledger.submit("claim_pow", self.nb, day, nonce, catch_up=(404,))
                except ChaincodeError as error:
                    if error.status != 409:  # 409: another house's proof committed first
                        raise
                except TransactionInvalid:
                    pass  # another claim in the same block won the MVCC race
                else:
                    return attempts, True
                return attempts, False
            await asyncio.sleep(attempt_delay_s)
            # look whether another house won once per attempt when attempts are slow, every 50 when they are not
            if (attempt_delay_s >= POLL_S or attempts % 50 == 0) and \
                    (await self.ledger.evaluate("get_day", self.nb, day))["coordinator"]:
                return attempts, False
