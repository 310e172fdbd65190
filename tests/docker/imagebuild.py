"""The gridledger image for the container tests, built once per session, in the background.

On a machine without the images (CI's fresh one) `scripts/docker-images.sh` takes about 200 s on two cores: the
debootstrap base, the dependencies' layer, the image. Waited for in a fixture, that is 200 s of the session doing
nothing else. So tests/conftest.py starts the build as soon as collection shows that a selected test needs the
image and moves those tests to the end; the build runs while the others do, and the `gridledger_image` fixture
only waits for what is left of it. The build yields the cores to the tests: the host steps at the lowest CPU and
I/O priority, and the build's RUN containers at the lowest CPU weight (BUILD_CPU_SHARES).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.docker.containers import IMAGE, REPO

SCRIPT = REPO / "scripts" / "docker-images.sh"
LOWEST_CPU_SHARES = 2  # the kernel's minimum weight
FIXTURE = "gridledger_image"  # what a test that needs the image asks for
STARTED = pytest.StashKey["ImageBuild"]()  # the session's build, on pytest's config


class ImageBuild:
    """One run of scripts/docker-images.sh, started now; `wait` gives its outcome."""

    def __init__(self) -> None:
        descriptor, name = tempfile.mkstemp(prefix="gridledger-image-build-", suffix=".log")
        self._log = Path(name)
        low_priority = ["nice", "-n", "19", *(["ionice", "-c", "3"] if shutil.which("ionice") else [])]
        env = {**os.environ, "PYTHON": sys.executable, "IMAGE": IMAGE, "BUILD_CPU_SHARES": str(LOWEST_CPU_SHARES)}
        with os.fdopen(descriptor, "w") as log:  # the child keeps its own copy of the descriptor
            self._process = subprocess.Popen([*low_priority, str(SCRIPT)], stdout=log, stderr=subprocess.STDOUT,
                                             env=env, start_new_session=True)

    def wait(self, timeout_s: float) -> tuple[bool, str]:
        """(whether the images are built, the end of the build's output when they are not)."""
        try:
            code = self._process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.stop()
            return False, f"the image build did not finish within {timeout_s:g} s"
        return code == 0, self._log.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        """End a build still running (the session is over) and remove its log."""
        if self._process.poll() is None:
            os.killpg(self._process.pid, 15)
            self._process.wait(30)
        self._log.unlink(missing_ok=True)
