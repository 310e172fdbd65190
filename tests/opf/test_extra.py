"""Without the optional extra `opf`, the OPF code says which extra to install instead of a bare ImportError."""

from __future__ import annotations

import sys

import pytest

from gridledger.lab.opf.solvers import OpfExtraMissing, require


def test_a_missing_package_of_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cvxpy", None)  # makes `import cvxpy` fail as if it were absent
    with pytest.raises(OpfExtraMissing, match=r"pip install -e '\.\[opf\]' \(cvxpy is missing\)"):
        require("cvxpy")
