"""The process sampler's figures, read from this very process."""

from __future__ import annotations

import os

from gridledger.lab.bench.resources import ProcessSampler


def test_a_process_reports_cpu_resident_memory_and_its_anonymous_part():
    sampler = ProcessSampler({"self": os.getpid()}, children=False)
    sampler.start()
    ballast = bytearray(64 * 1024 * 1024)  # touched, so it is resident: anonymous memory
    ballast[::4096] = b"x" * len(ballast[::4096])
    found = sampler.stop()["self"]
    assert found["cpu_seconds"] > 0
    assert 64 <= found["anon_mib_end"] < found["rss_mib_end"] <= found["rss_mib_max"]  # code pages are file-backed
    del ballast
