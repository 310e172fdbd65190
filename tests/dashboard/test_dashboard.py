"""The live dashboard in headless Chromium against a running 2-org network: the height and throughput it shows
move when transactions commit, and an MVCC conflict provoked here appears on its validation-code panel. The
screenshot is kept as a test artifact (ARTIFACTS)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from gridledger.sdk import TransactionInvalid
from tests.browser import chromium, console_errors
from tests.integration.network import REPO, ItNetwork

pytestmark = pytest.mark.integration
ARTIFACTS = REPO / "build" / "test-artifacts"
WAIT_S = 30


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    with chromium() as chrome:
        yield chrome


def text(browser: webdriver.Chrome, selector: str) -> str:
    return browser.execute_script("return document.querySelector(arguments[0]).textContent", selector)


def table(browser: webdriver.Chrome, table_id: str) -> list[list[str]]:
    """The rows' cell texts, read in one script: the page redraws its tables on every snapshot."""
    return browser.execute_script(
        "return [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].map(r => [...r.cells].map(c => "
        "c.textContent))", table_id)


def codes_shown(browser: webdriver.Chrome) -> dict[str, int]:
    return {code: int(count) for code, count in table(browser, "codes")}


async def provoke_mvcc_conflict(net: ItNetwork) -> int:
    """Concurrent transfers from one account read the same version; all but the first in a block conflict."""
    async with net.user() as client:
        await client.submit("kv", "put", "alice", "1000")
        for _ in range(5):
            outcomes = await asyncio.gather(*(client.submit("kv", "transfer", "alice", f"to-{i}", "1")
                                              for i in range(4)), return_exceptions=True)
            conflicts = [o for o in outcomes if isinstance(o, TransactionInvalid)
                         and o.code_name == "MVCC_READ_CONFLICT"]
            if conflicts:
                return len(conflicts)
    raise AssertionError("no MVCC conflict in five tries")


def test_dashboard_shows_heights_throughput_and_an_mvcc_conflict(live_network: ItNetwork,
                                                                  browser: webdriver.Chrome) -> None:
    [org1] = [rest for rest in live_network.local.rest_status() if rest.msp_id == "Org1MSP"]
    browser.get(f"{org1.url}/dashboard")
    wait = WebDriverWait(browser, WAIT_S, poll_frequency=0.2)
    wait.until(lambda b: text(b, "#stream") == "live" and text(b, "#height").isdigit())
    wait.until(lambda b: len(table(b, "nodes")) == 5)
    height = int(text(browser, "#height"))

    async def load() -> None:
        async with live_network.user() as client:
            await asyncio.gather(*(client.submit("kv", "put", f"dash-{i}", str(i)) for i in range(40)))

    asyncio.run(load())
    wait.until(lambda b: int(text(b, "#height")) > height and float(text(b, "#throughput")) > 0)
    conflicts = asyncio.run(provoke_mvcc_conflict(live_network))
    wait.until(lambda b: codes_shown(b).get("MVCC_READ_CONFLICT", 0) >= conflicts)
    assert codes_shown(browser)["VALID"] >= 40
    assert all(row[3] == "up" for row in table(browser, "nodes")), table(browser, "nodes")
    assert "raft term" in text(browser, "#consensus") and "leader orderer" in text(browser, "#consensus")
    # Three charts drew their traces (plotly adds one .trace group per trace).
    for chart in ("chart-throughput", "chart-heights", "chart-codes"):
        assert browser.find_elements(By.CSS_SELECTOR, f"#{chart} .trace"), chart
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    assert not console_errors(browser)
