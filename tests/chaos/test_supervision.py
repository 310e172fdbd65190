"""The chaos runner's supervision of exited nodes (lab/chaos/runner.py), with an injector stand-in whose nodes exit
when the test says: found by the long solo run, a peer whose disk filled finished its fail-stop only after the
fault was healed, and nothing restarted it, so the network never recovered. The runner with real nodes is
tests/chaos/test_chaos_run.py's and test_chaos_faults.py's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from gridledger.lab.chaos.runner import HEIGHT_POLL_S, ChaosRunner, ChaosSpec, ScheduleResult
from gridledger.lab.chaos.schedule import Fault, Schedule


class Nodes:
    """What the runner asks of an injector to supervise: the nodes, which run, and restarting one."""

    def __init__(self, names: list[str]) -> None:
        self.roles = {name: "peer" for name in names}
        self.up = set(names)
        self.restarts: list[str] = []

    def running(self) -> set[str]:
        return set(self.up)

    def restart(self, node: str) -> None:
        self.restarts.append(node)
        self.up.add(node)


def _runner(tmp_path: Path) -> ChaosRunner:
    return ChaosRunner(ChaosSpec(network_file=tmp_path / "n.yaml", data_dir=tmp_path / "data", out_dir=tmp_path))


FILLED = Schedule(seed=1, index=3, duration_s=6.0, faults=(Fault("disk-full", 1.0, 2.0, ("peer0",)),))


def test_a_node_that_exits_after_its_fault_was_healed_is_restarted_as_expected(tmp_path: Path) -> None:
    runner, nodes, result = _runner(tmp_path), Nodes(["peer0", "peer1"]), ScheduleResult(3, [])

    async def scenario() -> None:
        supervisor = asyncio.create_task(runner._supervise(nodes, FILLED, result))
        await asyncio.sleep(HEIGHT_POLL_S * 2)
        nodes.up.discard("peer0")  # the fail-stop completes while the network recovers
        for _ in range(40):
            await asyncio.sleep(HEIGHT_POLL_S / 2)
            if nodes.restarts:
                break
        supervisor.cancel()

    asyncio.run(scenario())
    runner.history.close()
    assert nodes.restarts == ["peer0"] and result.exited == ["peer0"] and result.problems == []
    exited = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert [(e["event"], e["node"], e["expected"]) for e in exited] == [("exited", "peer0", True)]


def test_a_node_that_exits_without_a_full_disk_is_a_finding(tmp_path: Path) -> None:
    runner, nodes, result = _runner(tmp_path), Nodes(["peer0", "peer1"]), ScheduleResult(3, [])
    nodes.up.discard("peer1")
    asyncio.run(runner._restart_exited(nodes, FILLED, result))
    runner.history.close()
    assert nodes.restarts == ["peer1"] and result.problems == ["peer1 exited during schedule 3"]
