"""Which steps of which slots an agent process has finished, as lines ("bid 3", "reveal 3") appended to a file in
its records folder, so the experiment runner closes a phase once every agent process is done with it, as it does
when the agents run inside it (where it awaits them). Local subprocesses and containers on the runner's machine
share the run directory, so a file is all it takes."""

from __future__ import annotations

from pathlib import Path

PROGRESS_FILE = "progress.log"
BID = "bid"
REVEAL = "reveal"
STEPS = (BID, REVEAL)


def mark_done(records_dir: Path, step: str, slot: int) -> None:
    """Record that this process finished `step` of `slot` (every attempt of it logged)."""
    if step not in STEPS:
        raise ValueError(f"unknown agent step {step!r}; one of {', '.join(STEPS)}")
    with (records_dir / PROGRESS_FILE).open("a") as handle:
        handle.write(f"{step} {slot}\n")


def finished(records_dir: Path) -> set[tuple[str, int]]:
    """The (step, slot) pairs the process in `records_dir` recorded; a line it is still writing is skipped."""
    path = records_dir / PROGRESS_FILE
    if not path.exists():
        return set()
    done = set()
    for line in path.read_text().splitlines():
        step, _, slot = line.partition(" ")
        if step in STEPS and slot.isdigit():
            done.add((step, int(slot)))
    return done
