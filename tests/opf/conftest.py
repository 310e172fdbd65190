"""The OPF tests' shared in-process run (tests/opf/inprocess.py), made once per session: a whole ADMM run to
convergence takes seconds."""

from __future__ import annotations

import pytest

from tests.opf.inprocess import billed_run


@pytest.fixture(scope="session")
def billed() -> dict:
    return billed_run()
