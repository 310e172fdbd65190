"""`opf verify`'s check (lab/opf/verify.py) on the shared in-process run: it passes on the ledger as written and
names what was changed when a copy, the state or the bill on the ledger is not what the steps give."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gridledger.chaincode import create_composite_key
from gridledger.lab.opf.verify import RunCheck, verify_run
from tests.dsm.inprocess import WorldContract
from tests.market.world import World
from tests.opf.inprocess import CONFIG, OPERATOR


def _verify(world: World, run_id: str = CONFIG.run_id) -> RunCheck:
    return asyncio.run(verify_run(WorldContract(world, OPERATOR, "opf"), run_id))


@contextmanager
def _tampered(world: World, kind: str, parts: list[str], change: Callable[[object], object]) -> Iterator[None]:
    """One record of the OPF namespace rewritten for the duration (the ledger is shared by the session)."""
    key = create_composite_key(kind, [CONFIG.run_id, *parts])
    original = world.state["opf"][key]
    world.state["opf"][key] = json.dumps(change(json.loads(original))).encode()
    try:
        yield
    finally:
        world.state["opf"][key] = original


def test_the_ledger_as_written_verifies(billed: dict) -> None:
    check = _verify(billed["world"])
    assert check.ok, check.problems
    assert (check.iterations, check.converged, check.billing) == (len(billed["rows"]), True, "settled")


def test_a_changed_copy_is_found_at_its_iteration(billed: dict) -> None:
    def nudge(values: object) -> object:
        return [values[0] + 1, *values[1:]]

    with _tampered(billed["world"], "copy", [f"{5:08d}", f"{2:08d}"], nudge):
        check = _verify(billed["world"])
    assert check.problems and check.problems[0].startswith("iteration 5: the ledger's close")


def test_a_changed_bill_is_found(billed: dict) -> None:
    def richer_grid(record: object) -> object:
        return {**record, "penalties": [p + 1 for p in record["penalties"]]}

    with _tampered(billed["world"], "bill", [], richer_grid):
        check = _verify(billed["world"])
    assert check.problems == ["the ledger's bill is not the one its prices, schedule and readings give"]


def test_a_changed_price_is_found(billed: dict) -> None:
    def cheaper(record: object) -> object:
        return {**record, "prices": [[p - 1 for p in row] for row in record["prices"]]}

    with _tampered(billed["world"], "billing", [], cheaper):
        check = _verify(billed["world"])
    assert "the ledger's nodal prices are not the converged state's" in check.problems


def test_an_unknown_run_is_reported(billed: dict) -> None:
    assert _verify(billed["world"], "nope").problems == ["run 'nope' is not on the ledger"]
