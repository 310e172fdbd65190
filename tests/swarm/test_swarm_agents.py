"""The agent containers on a swarm network: `experiment run --swarm --agents docker:2` deploys the quick market's
network as a stack on this one-host swarm, and the two agent containers join the stack's attachable overlay network
and reach the peers by service name (tests/experiment/test_agent_containers.py runs the same on Compose)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.experiment.test_agent_containers import run_quick_market_with_agent_containers

pytestmark = [pytest.mark.docker, pytest.mark.faults, pytest.mark.timeout(900)]


def _remove_stack(stack: str) -> None:
    """The stack, if the run left it (the runner removes it itself, volumes included, when it ends normally)."""
    listed = subprocess.run(["docker", "stack", "ls", "--format", "{{.Name}}"], capture_output=True, text=True)
    if stack in listed.stdout.split():
        subprocess.run(["docker", "stack", "rm", stack], capture_output=True, timeout=120)


def test_agent_containers_run_the_quick_market_on_a_swarm_stack(swarm_manager: None, gridledger_image: str,
                                                                tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run_quick_market_with_agent_containers(tmp_path, monkeypatch, "--swarm", "swarm services", _remove_stack)
