"""The inputs a fuzz run starts from: each target's valid seeds (tests/fuzz/targets.py) and every input a fuzzer
once crashed on, kept as a file under tests/fuzz/regressions/<target>/ so that it is replayed by every later run."""

from __future__ import annotations

from pathlib import Path

REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def regression_inputs(target: str) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every saved crash input of `target`, in name order."""
    folder = REGRESSIONS / target
    return [(path.name, path.read_bytes()) for path in sorted(folder.iterdir())] if folder.is_dir() else []


def write_corpus(folder: Path, seeds: list[bytes], target: str) -> Path:
    """A libFuzzer corpus folder holding the seeds and the saved regressions of `target`."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = [*seeds, *(data for _, data in regression_inputs(target))]
    for number, data in enumerate(inputs):
        (folder / f"seed-{number:03d}").write_bytes(data)
    return folder
